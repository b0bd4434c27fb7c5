// The form engine in the browser: derived fields shown read-only, option filters, exclusive
// options, and repeat groups, on a form served only to this test.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { showSection } = require("./fill");

test.use({ serviceWorkers: "block" });

const zh = (text) => ({ "zh-CN": text });
const form = {
  id: "engine_test",
  version: "1",
  title: zh("引擎测试表"),
  reference_date: "2026-09-30",
  sections: [
    {
      id: "a",
      title: zh("证件"),
      fields: [
        { id: "cert_no", type: "text", label: zh("残疾人证号"), required: true,
          constraints: [{ expr: "id_valid(substr(., 0, 18))", code: "cert_id", message: zh("身份证号码校验未通过") }] },
        { id: "age", type: "calculated", label: zh("年龄"), calculate: "years(id_birth(cert_no), reference_date())" },
        { id: "category", type: "calculated", label: zh("残疾类别"), calculate: "substr(cert_no, 18, 1)" },
        { id: "weight", type: "decimal", label: zh("体重") },
        { id: "aid", type: "multiple_choice", label: zh("辅具需求"), choice_filter: "category in @categories",
          options: [
            { code: "1", label: zh("盲杖"), attributes: { categories: ["1"] } },
            { code: "2", label: zh("轮椅"), attributes: { categories: ["4"] } },
            { code: "9", label: zh("无"), exclusive: true, attributes: { categories: ["1", "4"] } },
          ] },
      ],
    },
    {
      id: "members",
      title: zh("家庭成员"),
      repeat: { min: 1, max: 3 },
      fields: [
        { id: "m_name", type: "text", label: zh("成员姓名"), required: true },
        { id: "m_age", type: "integer", label: zh("成员年龄"), required: true },
        { id: "m_school", type: "single_choice", label: zh("是否在校"), relevant: "m_age >= 6 and m_age <= 17", required: true,
          options: [{ code: "1", label: zh("是") }, { code: "2", label: zh("否") }] },
      ],
    },
  ],
};

test("derived fields, filters, exclusive options and repeat groups", async ({ page }) => {
  await page.route("**/schemas/engine_test.json", (route) =>
    route.fulfill({ contentType: "application/json", body: JSON.stringify(form) }),
  );
  await openSignedIn(page, "/?form=engine_test");
  await expect(page.getByRole("heading", { name: "引擎测试表" })).toBeVisible();

  // Derived fields fill in from the certificate number and cannot be typed into.
  await page.getByLabel("残疾人证号").fill("11010519491231002X41");
  await expect(page.getByLabel("年龄")).toHaveValue("76");
  await expect(page.getByLabel("残疾类别")).toHaveValue("4");
  await expect(page.getByLabel("年龄")).not.toBeEditable();

  // A decimal typed key by key stays as typed: "61." is not rewritten under the finger.
  await page.getByLabel("体重").pressSequentially("61.5");
  await expect(page.getByLabel("体重")).toHaveValue("61.5");
  await expect(page.getByLabel("体重")).toHaveAttribute("aria-invalid", "false");

  // The filter offers the wheelchair (category 4), not the white cane (category 1).
  await expect(page.getByRole("checkbox", { name: "轮椅" })).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "盲杖" })).toHaveCount(0);
  await page.getByRole("checkbox", { name: "轮椅" }).check();
  await page.getByRole("checkbox", { name: "无" }).check();
  await expect(page.getByText("“无”不能与其他选项同时选择")).toBeVisible();
  await page.getByRole("checkbox", { name: "轮椅" }).uncheck();
  await expect(page.getByText("“无”不能与其他选项同时选择")).toHaveCount(0);

  // Repeat group (the second page): add two members; the school question is asked only for
  // the child.
  await showSection(page, "家庭成员");
  await page.getByRole("button", { name: "添加 家庭成员" }).click();
  await page.getByRole("button", { name: "添加 家庭成员" }).click();
  const first = page.getByRole("group", { name: "家庭成员 1" });
  const second = page.getByRole("group", { name: "家庭成员 2" });
  await first.getByLabel("成员姓名").fill("张三");
  await first.getByLabel("成员年龄").fill("40");
  await second.getByLabel("成员姓名").fill("张小明");
  await second.getByLabel("成员年龄").fill("9");
  await expect(first.getByText("是否在校")).toHaveCount(0);
  await expect(second.getByText("是否在校")).toBeVisible();

  // Submitting with the child's school question unanswered names that instance's field.
  await page.getByRole("button", { name: "完成" }).click();
  const summary = page.locator(".error-summary");
  await expect(summary).toContainText("是否在校");
  await summary.getByRole("link", { name: /是否在校/ }).click();
  await expect(second.getByRole("radio", { name: "是" })).toBeFocused();

  // Removing the child removes the problem; the draft keeps one member after a reload.
  await second.getByRole("button", { name: /删除/ }).click();
  await expect(page.getByRole("group", { name: "家庭成员 2" })).toHaveCount(0);
  // The button pressed went with its member: the focus is on the group's add button, not lost.
  const add = page.getByRole("button", { name: "添加 家庭成员" });
  await expect(add).toBeFocused();
  await expect(add).not.toHaveAttribute("aria-describedby");
  await page.reload();
  await showSection(page, "家庭成员");
  await expect(page.getByRole("group", { name: "家庭成员 1" }).getByLabel("成员姓名")).toHaveValue("张三");
  await expect(page.getByRole("group", { name: "家庭成员 2" })).toHaveCount(0);

  // With none left, the group's own error is read with its add button, where its link leads.
  await page.getByRole("group", { name: "家庭成员 1" }).getByRole("button", { name: /删除/ }).click();
  await page.getByRole("button", { name: "完成" }).click();
  await page.locator(".error-summary a", { hasText: "至少应填写 1 条" }).click();
  await expect(add).toBeFocused();
  await expect(add).toHaveAccessibleDescription(/至少应填写 1 条/);
});
