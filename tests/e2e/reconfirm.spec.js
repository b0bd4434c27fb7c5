// A record collected before the reference date (30 September) must be re-confirmed on or after
// it. Completed on 15 September and uploaded, it is flagged; from 30 September the roster marks,
// counts and filters it, and the record, though sent, opens again to be re-confirmed. Completed
// again, it replaces the server's copy: the same record, a higher revision, no flag.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { fillByLabels, showSection } = require("./fill");
const { storedRecords } = require("./server");
const { LI_SI } = require("./people");
const { seriousViolations } = require("./axe");

/// A certificate number: the 17 digits of an ID number, its check character (ISO 7064
/// MOD 11-2), then the disability category and level.
function certificate(first17, categoryAndLevel) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return first17 + "10X98765432"[sum % 11] + categoryAndLevel;
}

// Born the same day as 李四, a woman, 肢体 二级, so that 李四's answers hold for her too; not
// on the roster, so added at the door.
const CERT = certificate("33011019800515004", "42");

test("a record completed before the reference date is re-confirmed once that date has come", async ({ page }) => {
  test.setTimeout(120_000);
  // A name is letters only: the run's digits become letters.
  const name = `复核${Date.now().toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[d])}`;
  await page.clock.install({ time: new Date("2026-09-15T10:00:00+08:00") });
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await page.getByLabel("村（社区）").selectOption({ value: "330110005001" });
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await page.getByLabel("姓名").fill(name);
  await page.getByRole("textbox", { name: "残疾人证号", exact: true }).fill(CERT);
  // What the roster would have filled in for 李四: an agricultural household.
  await fillByLabels(page, "individual", { hukou_type: "1" });
  for (const part of LI_SI.parts) await fillByLabels(page, "individual", part);

  // Reported on 15 September: a warning to confirm.
  await page.getByRole("button", { name: "完成" }).click();
  const warnings = page.locator(".warnings");
  await expect(warnings).toContainText("标准时点（9月30日）前采集的记录须在标准时点后重新确认");
  // Nothing to fix, only warnings to confirm: the summary says so.
  await expect(page.getByRole("region", { name: "请先逐条核实以下提示：" })).toBeFocused();
  for (const box of await warnings.getByRole("checkbox", { name: "已核实无误" }).all()) await box.check();
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  const line = page.locator(".persons .person", { hasText: name });
  await expect(line).toContainText("已上传", { timeout: 20_000 });
  // Before 30 September there is nothing to do yet.
  await expect(line).not.toContainText("待重新确认");
  await expect(page.locator("#count-reconfirm")).toHaveCount(0);
  const [first] = storedRecords().filter((r) => r.answers.name === name);
  expect(first.meta.reconfirm).toBe(true);

  // 8 October: the roster marks the record, counts it and finds it by the status filter.
  await page.clock.setSystemTime(new Date("2026-10-08T10:00:00+08:00"));
  await page.reload();
  await expect(line).toContainText("待重新确认");
  await expect(page.locator("#count-reconfirm")).toHaveText("1");
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel("状态").selectOption({ value: "reconfirm" });
  await expect(page.locator(".persons .person")).toHaveCount(1);
  await expect(page.locator(".villages")).toHaveCount(0);

  // Sent, it opens again with 重新确认; the report date is put right and it is completed.
  await line.getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect(page.locator(".record-state")).toContainText("现须重新确认");
  await expect(page.locator(".record-state")).not.toContainText("不能再修改");
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("button", { name: "重新确认" }).click();
  // Left unfinished, it is a draft that still waits.
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(line).toContainText("草稿");
  await expect(line).toContainText("待重新确认");
  await line.getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "签署");
  const reported = page.getByLabel("报出日期");
  await expect(reported).toBeEditable();
  await reported.fill("2026-10-08");
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  // The roster comes back with its filter, which the record re-confirmed has left.
  await expect(page.getByLabel("状态")).toHaveValue("reconfirm");
  await expect(page.locator(".persons .person")).toHaveCount(0);
  await page.getByLabel("状态").selectOption({ label: "全部状态" });
  await expect(line).toContainText("已上传", { timeout: 20_000 });
  await expect(line).not.toContainText("待重新确认");
  await expect(page.locator("#count-reconfirm")).toHaveCount(0);

  const stored = storedRecords().filter((r) => r.answers.name === name);
  expect(stored).toHaveLength(1);
  expect(stored[0].id).toBe(first.id);
  expect(stored[0].revision).toBeGreaterThan(first.revision);
  expect(stored[0].meta.reconfirm ?? false).toBe(false);
  expect(stored[0].answers.report_date).toBe("2026-10-08");
});
