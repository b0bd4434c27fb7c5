// The survey's two real forms in the app: the individual form in its sections, with its
// defaults, the town-and-village picker over the configured area, the fields derived from the
// certificate number shown read-only, and whole sections leaving when a person is not there.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { showSection, pages } = require("./fill");

test.use({ serviceWorkers: "block" });

test("the individual form: sections, defaults, region picker, derived fields", async ({ page }) => {
  await openSignedIn(page, "/?form=individual");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  // Sections with a question asked before anything is known are pages; 住房, 教育, 就业 and
  // 文化体育 wait for the age and the living situation.
  await expect.poll(() => pages(page)).toEqual(["调查信息", "基本信息", "社会保障", "基本医疗与康复", "无障碍", "签署"]);

  // Defaults: the survey year from the form's reference date, the method 入户调查, today. The
  // survey year is the configuration's, not the collector's to change: it moves the reference
  // date, and with it every age and which pages are asked.
  const year = page.getByLabel("调查年度");
  await expect(year).toHaveValue("2026");
  await expect(year).not.toBeEditable();
  // One out of range (here from a host) is the collector's to put right, and read-only again
  // once it is right.
  await page.evaluate(() => window.doorstep.prefill({ survey_year: 2019 }));
  await expect(year).toBeEditable();
  await expect(year).toHaveAttribute("aria-invalid", "true");
  await year.fill("2026");
  await expect(year).not.toBeEditable();
  await expect(year).toHaveValue("2026");
  await expect(page.getByLabel("标准时点")).toHaveValue("2026-09-30");
  await expect(page.getByRole("radio", { name: "入户调查" })).toBeChecked();

  // The village is chosen from the configured county's list, town first.
  await expect(page.getByLabel("所在村(社区)")).toBeDisabled();
  await page.getByLabel("乡镇（街道）").selectOption({ label: "五常街道" });
  await page.getByLabel("所在村(社区)").selectOption({ label: "顾家桥社区 001" });
  await expect(page.getByLabel("所在村(社区)")).toHaveValue("330110005001");

  await showSection(page, "签署");
  await expect(page.getByLabel("报出日期")).not.toHaveValue("");

  // A wrong check character is flagged at the field; nothing derives from it.
  await showSection(page, "基本信息");
  const cert = page.getByLabel("残疾人证号");
  await cert.fill("33011019800515002142");
  await expect(cert).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("年龄", { exact: true })).toHaveValue("");

  // A valid number: ID, birth date, sex, age on 30 September, category and level, read-only.
  await cert.fill("33011019800515002642");
  await expect(cert).toHaveAttribute("aria-invalid", "false");
  await expect(page.getByLabel("公民身份号码")).toHaveValue("330110198005150026");
  await expect(page.getByLabel("出生日期")).toHaveValue("1980-05-15");
  await expect(page.getByLabel("性别")).toHaveValue("女");
  await expect(page.getByLabel("年龄", { exact: true })).toHaveValue("46");
  await expect(page.getByLabel("残疾类别")).toHaveValue("肢体");
  await expect(page.getByLabel("残疾等级")).toHaveValue("二级");
  for (const derived of ["公民身份号码", "性别", "残疾类别"]) {
    await expect(page.getByLabel(derived)).not.toBeEditable();
  }
  // Age decides what is asked: a 46-year-old is asked about employment, not schooling.
  await page.getByRole("group", { name: "是否在敬(养)老院、福利院、荣军院等机构居住" }).getByRole("radio", { name: "否" }).check();
  await page.getByRole("group", { name: "户口性质" }).getByRole("radio", { name: "农业", exact: true }).check();
  await expect.poll(() => pages(page)).toEqual(
    ["调查信息", "基本信息", "住房", "教育", "就业", "社会保障", "基本医疗与康复", "无障碍", "文化体育", "签署"]);
  await showSection(page, "住房");
  await expect(page.getByRole("group", { name: "农村住房状况" })).toBeVisible();
  await showSection(page, "教育");
  await expect(page.getByRole("group", { name: "目前就读情况" })).toHaveCount(0);

  // A person who has died keeps only name and certificate: sections B–H leave.
  await showSection(page, "调查信息");
  await page.getByRole("radio", { name: "死亡" }).check();
  await expect(page.getByLabel("情况说明")).toBeVisible();
  await expect.poll(() => pages(page)).toEqual(["调查信息", "基本信息", "签署"]);
  await showSection(page, "基本信息");
  await expect(page.getByRole("group", { name: "民族" })).toHaveCount(0);
  await expect(page.getByLabel("姓名")).toBeVisible();
});

test("the community form renders with its region picker", async ({ page }) => {
  await openSignedIn(page, "/?form=community");
  await expect(page.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await expect(page.getByLabel("调查年度")).toHaveValue("2026");
  await expect(page.getByLabel("调查年度")).not.toBeEditable();
  await page.getByLabel("乡镇（街道）").selectOption({ label: "五常街道" });
  await page.getByRole("combobox", { name: "村(社区)", exact: true }).selectOption({ label: "沿山河社区 002" });
  await showSection(page, "基本情况");
  await page.getByRole("group", { name: "是否配备残疾人专职委员" }).getByRole("radio", { name: "是" }).check();
  await expect(page.getByLabel("专职委员姓名")).toBeVisible();
});

test("the community form's count is checked against the roster the collector was given", async ({ page }) => {
  await openSignedIn(page, "/?form=community");
  await expect(page.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await page.getByLabel("乡镇（街道）").selectOption({ label: "五常街道" });
  await page.getByRole("combobox", { name: "村(社区)", exact: true }).selectOption({ label: "顾家桥社区 001" });
  // The roster has two persons in 顾家桥社区 (tests/e2e/roster.csv).
  await page.getByRole("button", { name: "下一页" }).click();
  const count = page.getByLabel("持证残疾人数");
  await count.fill("5");
  // The warning says the roster's count, so that the collector can compare at the door.
  const differs = page.getByText("与花名册人数（该村持证残疾人 2 人）不一致，请核实", { exact: true });
  await expect(differs).toBeVisible();
  await expect(count).toHaveAccessibleDescription(/该村持证残疾人 2 人/);
  await count.fill("2");
  await expect(differs).toHaveCount(0);
});
