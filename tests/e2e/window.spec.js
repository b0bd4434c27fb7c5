// The service window: the whole individual form completed with the keyboard alone (sign-in,
// search, every page, completion), the method set to 窗口服务, with the connection lost before
// completing (the record waits and goes once it is back); the number of keystrokes is printed
// for the note.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { COLLECTOR, signIn } = require("./session");
const { showSection } = require("./fill");
const { storedRecords } = require("./server");
const { deviceRecords } = require("./device");
const { LI_SI, LI_SI_ANSWERS } = require("./people");

// 李四 of tests/e2e/roster.csv; the answers the window staff give, by field id.
const CERT = LI_SI.cert;
const ANSWERS = LI_SI_ANSWERS;

test("an individual form completed at the service window with the keyboard alone", async ({ page }) => {
  test.setTimeout(120_000);
  let keystrokes = 0;
  const press = async (key) => {
    keystrokes += 1;
    await page.keyboard.press(key);
  };
  const type = async (text) => {
    keystrokes += [...text].length;
    await page.keyboard.type(text);
  };
  const focusedIs = (locator) => locator.evaluate((element) => element === document.activeElement);

  // Whether the server holds 李四 already, from another device: then 完成 asks first.
  const elsewhere = storedRecords().some((r) => r.form === "individual" && r.meta.subject === CERT);
  await page.goto("/?mode=window");
  const account = page.getByLabel("账号");
  await expect(account).toBeVisible();
  for (let n = 0; n < 10 && !(await focusedIs(account)); n++) await press("Tab");
  await type(COLLECTOR.name);
  await press("Tab");
  await type(COLLECTOR.password);
  await press("Enter");

  // The window's screen leads with the search box: a certificate number and Enter.
  await expect(page.getByRole("heading", { name: "窗口服务" })).toBeVisible();
  await expect(page.getByLabel("搜索")).toBeFocused();
  // A number nobody on the roster has: Enter says so, and the staff type again.
  await type("110101190001010000");
  await press("Enter");
  await expect(page.getByRole("alert")).toContainText("名册中没有找到此人");
  await press("Control+a");
  await press("Backspace");
  await expect(page.getByRole("alert")).toHaveCount(0);
  await type(CERT);
  await press("Enter");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect(page.getByRole("radio", { name: "窗口服务" })).toBeChecked();

  // Question after question: the answer (digits for choices), then Enter.
  let saved = false;
  for (let step = 0; step < 200; step++) {
    const where = await page.evaluate(() => {
      const element = document.activeElement;
      if (element && element.id === "submit") return { submit: true };
      const field = element && element.closest(".field");
      return { field: field ? field.dataset.field : null, tag: element ? element.tagName : null };
    });
    if (where.submit) break;
    expect(where.field, `focus left the questions at step ${step} (${where.tag})`).toBeTruthy();
    const answer = ANSWERS[where.field];
    if (Array.isArray(answer)) {
      for (const code of answer) await type(code);
    } else if (answer !== undefined) {
      await type(answer);
    }
    if (!saved && where.field === "education") {
      await press("Control+s");
      await expect(page.getByText("已保存到本机")).toBeVisible();
      saved = true;
    }
    await press("Enter");
  }
  await expect(page.locator("#submit")).toBeFocused();
  await goOffline(page.context());
  await press("Enter");
  if (elsewhere) {
    // The server holds a record of 李四 from another device (an earlier test's): 完成 asks
    // first, the question taking the focus, and Enter says a second record is meant.
    await expect(page.getByRole("button", { name: "确需再登记，完成" })).toBeFocused();
    await press("Enter");
  }
  await expect(page.getByRole("heading", { name: "窗口服务" })).toBeVisible();
  await expect(page.locator(".persons .person", { hasText: "李四" })).toContainText("待上传");
  console.log(`individual form at the service window: ${keystrokes} keystrokes, no mouse`);
  // The screen says 待上传 as the record's write to the device starts; the reload waits for the
  // write itself (a reload a few milliseconds sooner would abort it, and the record would be the
  // draft written before, answers and all).
  await expect.poll(async () => (await deviceRecords(page))
    .some((r) => r.meta.subject === CERT && r.status === "queued")).toBe(true);
  await page.reload().catch(() => undefined);
  await expect(page.locator(".persons .person", { hasText: "李四" })).toContainText("待上传");
  await goOnline(page.context());

  await expect(page.locator(".persons .person", { hasText: "李四" })).toContainText("已上传", { timeout: 20_000 });
  // The device's record of 李四, by its id: a server kept from an earlier run may hold others.
  const ids = (await deviceRecords(page)).filter((r) => r.meta.subject === CERT).map((r) => r.id);
  const mine = storedRecords().filter((r) => ids.includes(r.id));
  expect(mine).toHaveLength(1);
  expect(mine[0].meta.method).toBe("3");
  expect(mine[0].answers.method).toBe("3");
  expect(mine[0].answers.ethnicity).toBe("01");
  expect(mine[0].answers.marital_status).toBe("20");
  expect(mine[0].answers.home_mod_need).toEqual(["1", "2"]);
});

// A scanner types the certificate number and Enter at once, faster than the list is drawn:
// Enter goes by what the box holds, not by the list drawn before the number arrived.
test("Enter at the service window opens what the search box holds, however fast it came", async ({ page }) => {
  await page.goto("/?mode=window");
  await signIn(page);
  const search = page.getByLabel("搜索");
  await expect(search).toBeFocused();
  const scan = (text) => page.evaluate((text) => {
    const box = document.getElementById("roster-search");
    box.value = text;
    box.dispatchEvent(new InputEvent("input", { bubbles: true }));
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  }, text);
  await scan("110101190001010000");
  await expect(page.getByRole("alert")).toContainText("名册中没有找到此人");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toHaveCount(0);
  await scan("33011019900101001211");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await expect(page.getByLabel("姓名")).toHaveValue("赵六");
});
