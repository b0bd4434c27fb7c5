// Fills a form in the app the way a collector does: page by page through the jump list, each
// answer by its question's label and its option's label, read from the form's own schema.
const { expect } = require("@playwright/test");
const fs = require("fs");
const path = require("path");

function loadForm(id) {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "schemas", `${id}.json`), "utf8"));
}

function optionLabel(form, field, code) {
  const options = field.options || form.choices[field.choices] || [];
  const option = options.find((o) => o.code === code);
  if (!option) throw new Error(`${field.id}: no option ${code}`);
  return option.label["zh-CN"];
}

/// A single choice of more options than this is a drop-down list in the app (`LONG_CHOICE` in
/// src/components/field.rs).
const LONG_CHOICE = 12;

function optionCount(form, field) {
  return (field.options || form.choices[field.choices] || []).length;
}

/// Shows a section's page through the jump list.
async function showSection(page, title) {
  const jump = page.getByRole("navigation", { name: "章节" });
  await jump.getByRole("button", { name: new RegExp(`^${title}`) }).click();
  await expect(page.getByRole("heading", { name: title, exact: true })).toBeVisible();
}

/// The sections the jump list offers, in order, without their error counts.
async function pages(page) {
  return (await page.getByRole("navigation", { name: "章节" }).getByRole("button").allInnerTexts())
    .map((t) => t.replace(/\s*[（(]\d+[^)）]*[)）]$/, "").trim());
}

/// Fills `answers` (field id → answer, as stored) in form order; returns the number of
/// answers given.
async function fillByLabels(page, formId, answers) {
  const form = loadForm(formId);
  let given = 0;
  for (const section of form.sections) {
    const fields = section.fields.filter((f) => f.id in answers);
    if (fields.length === 0) continue;
    await showSection(page, section.title["zh-CN"]);
    for (const field of fields) {
      const label = field.label["zh-CN"];
      const value = answers[field.id];
      if (field.type === "single_choice" && optionCount(form, field) > LONG_CHOICE) {
        await page.getByRole("combobox", { name: label, exact: true })
          .selectOption({ label: optionLabel(form, field, value) });
      } else if (field.type === "single_choice") {
        await page.getByRole("group", { name: label, exact: true })
          .getByRole("radio", { name: optionLabel(form, field, value), exact: true }).check();
      } else if (field.type === "multiple_choice") {
        for (const code of value) {
          await page.getByRole("group", { name: label, exact: true })
            .getByRole("checkbox", { name: optionLabel(form, field, code), exact: true }).check();
        }
      } else if (field.type === "date") {
        await page.getByLabel(label).fill(String(value));
      } else {
        // By the accessible name, which leaves out the required mark.
        await page.getByRole("textbox", { name: label, exact: true }).fill(String(value));
      }
      given += 1;
    }
  }
  return given;
}

/// Answers the demo form (`schemas/demo.json`) as a record complete but for 完成: the name, 是
/// for the home visit, and the age.
async function fillDemo(page, { name, age }) {
  await page.getByLabel("姓名").fill(name);
  await page.getByRole("radio", { name: "是" }).check();
  await page.getByLabel("年龄").fill(String(age));
}

module.exports = { fillByLabels, fillDemo, showSection, loadForm, pages };
