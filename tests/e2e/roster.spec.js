// The collector's day: from the roster to a completed record, offline, without losing a
// keystroke; the roster's search, filters and counts; a person not on the roster; a village's
// community form; and no serious accessibility violation on the roster or the form.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { seriousViolations } = require("./axe");
const { openSignedIn, signIn } = require("./session");
const { fillByLabels, showSection } = require("./fill");
const { storedRecords } = require("./server");
const { deviceRecords, forgetSession } = require("./device");
const { LI_SI } = require("./people");

// 李四 of tests/e2e/roster.csv, with the warning of 享受农村危房改造 to confirm.
const CERT = LI_SI.cert;
const ZHAO_CERT = "33011019900101001211";
const [PART_ONE, PART_TWO] = LI_SI.parts;
const PART_THREE = { ...LI_SI.parts[2], social_assistance: ["5"] };

const person = (page, name) => page.locator(".persons .person", { hasText: name });
// The server's records of a person of the roster, newest last (ids are made in time order).
const onServer = (cert) =>
  storedRecords().filter((r) => r.form === "individual" && r.meta.subject === cert);

test("a collector visits a person of the roster, offline, without losing a keystroke", async ({ context }) => {
  test.setTimeout(180_000);
  let page = await context.newPage();
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(page).toHaveTitle("调查名册 · 入户登记");
  await expect(page.locator(".persons .person")).toHaveCount(2);
  await expect(person(page, "李四")).toContainText("未开始");
  // 赵六 may have a record on the server already, sent from another device by an earlier test
  // (embed.spec): it counts here too, as done, and as a home visit if the newest was one.
  const zhao = onServer(ZHAO_CERT);
  const zhaoDone = zhao.length > 0 ? 1 : 0;
  const zhaoHome = zhao.at(-1)?.meta.method === "1" ? 1 : 0;
  await expect(page.locator("#count-done")).toHaveText(`${zhaoDone} / 2`);

  // Search by name and by certificate number; filter by status.
  await page.getByLabel("搜索").fill("赵六");
  await expect(page.locator(".persons .person")).toHaveCount(1);
  await page.getByLabel("搜索").fill(CERT.slice(0, 12));
  await expect(page.locator(".persons .person")).toHaveCount(1);
  await expect(person(page, "李四")).toBeVisible();
  await page.getByLabel("搜索").fill("");
  await page.getByLabel("状态").selectOption({ label: "草稿" });
  await expect(page.locator(".persons .person")).toHaveCount(0);
  await page.getByLabel("状态").selectOption({ label: "全部状态" });

  // Open 李四: the form opens on its first page, with what the roster knows filled in.
  await person(page, "李四").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "章节" })).toContainText("第 1 /");
  await expect(page.getByRole("radio", { name: "入户调查" })).toBeChecked();
  await expect(page.getByLabel("所在村(社区)")).toHaveValue("330110005001");
  let given = await fillByLabels(page, "individual", PART_ONE);
  await showSection(page, "基本信息");
  await expect(page.getByLabel("残疾人证号")).toHaveValue(CERT);
  await expect(page.getByLabel("姓名")).toHaveValue("李四");
  await expect(page.getByLabel("年龄", { exact: true })).toHaveValue("46");
  await expect(page.getByLabel("年龄", { exact: true })).not.toBeEditable();

  // A reload in the middle of the form opens the same record.
  await page.reload();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await expect(page.getByLabel("手机号码")).toHaveValue("13812345678");

  // The page is closed without unload handlers 300 ms after the last change: it is there.
  given += await fillByLabels(page, "individual", PART_TWO);
  await page.waitForTimeout(300);
  await page.close({ runBeforeUnload: false });
  page = await context.newPage();
  await page.goto("/");
  await expect(person(page, "李四")).toContainText("草稿");
  await person(page, "李四").getByRole("button").click();
  await showSection(page, "就业");
  await expect(page.getByRole("group", { name: "目前就业帮扶需求" }).getByRole("checkbox", { name: "无", exact: true })).toBeChecked();

  // Offline: the rest of the form, then 完成. The warning must be confirmed first.
  await goOffline(context);
  given += await fillByLabels(page, "individual", PART_THREE);
  await page.getByRole("button", { name: "完成" }).click();
  const summary = page.locator(".error-summary");
  await expect(summary).toContainText("待核实");
  await expect(page.locator(".warnings")).toContainText("社会救助情况");
  const confirmBox = page.locator(".warnings").getByRole("checkbox", { name: "已核实无误" });
  const note = page.locator(".warnings").getByLabel("说明（可选）");
  // Both are told apart from another warning's by the warning they are about.
  await expect(confirmBox).toHaveAccessibleDescription(/社会救助情况/);
  await expect(note).toHaveAccessibleDescription(/社会救助情况/);
  await note.fill("危房改造已完成，房屋状况一般");
  await confirmBox.check();
  // Once confirmed, the note goes to the device as it is typed, spaces and all, without
  // leaving the input.
  await note.press("End");
  await note.pressSequentially(" 已复核");
  await expect.poll(async () => (await deviceRecords(page))
    .find((r) => r.meta.subject === CERT)?.meta.confirmed.map((c) => c.note))
    .toEqual(["危房改造已完成，房屋状况一般 已复核"]);
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(person(page, "李四")).toContainText("待上传");
  await expect(page.locator("#count-done")).toHaveText(`${zhaoDone + 1} / 2`);
  const [home, completed] = [1 + zhaoHome, 1 + zhaoDone];
  await expect(page.locator("#count-home"))
    .toHaveText(`${home} / ${completed} (${Math.round((home * 100) / completed)}%)`);
  console.log(`individual form: ${given} answers given by label`);

  // 修改 reopens it; left without 完成 it is a draft again, not uploaded, and the roster
  // says so. Completed again, it waits in the outbox once more.
  await person(page, "李四").getByRole("button").click();
  await page.getByRole("button", { name: "修改" }).click();
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.getByText("修改后的记录现为草稿，再次完成后才会上传")).toBeVisible();
  await expect(person(page, "李四")).toContainText("草稿");
  await expect(page.locator("#count-done")).toHaveText(`${zhaoDone} / 2`);
  await person(page, "李四").getByRole("button").click();
  await page.getByRole("button", { name: "完成" }).click();
  await expect(person(page, "李四")).toContainText("待上传");

  // Online again: it is uploaded once, with what the app records besides answers.
  await goOnline(context);
  await expect(person(page, "李四")).toContainText("已上传", { timeout: 30_000 });
  // The device's record of 李四, by its id: a server kept from an earlier run may hold others.
  const ids = (await deviceRecords(page)).filter((r) => r.meta.subject === CERT).map((r) => r.id);
  expect(ids).toHaveLength(1);
  const mine = storedRecords().filter((r) => ids.includes(r.id));
  expect(mine).toHaveLength(1);
  const [record] = mine;
  expect(record.answers.name).toBe("李四");
  expect(record.answers.age).toBe(46);
  expect(record.meta.subject).toBe(CERT);
  expect(record.meta.method).toBe("1");
  expect(record.meta.collector).toBe("e2e");
  expect(record.meta.opened).toBeGreaterThanOrEqual(1);
  expect(record.meta.confirmed).toEqual([
    { field: "social_assistance", code: "rural_renovation_housing", note: "危房改造已完成，房屋状况一般 已复核" },
  ]);
});

test("a person not on the roster, and a village's community form", async ({ page }) => {
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  // A mis-tap on "add" leaves nothing behind, on the screen or on the device.
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.locator(".persons .person", { hasText: "名册外" })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(page.locator(".persons .person").first()).toBeVisible();
  await expect(page.locator(".persons .person", { hasText: "名册外" })).toHaveCount(0);

  await page.getByLabel("村（社区）").selectOption({ value: "330110005001" });
  // The community forms go by the village chosen too.
  await expect(page.locator(".villages .village")).toHaveCount(1);
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect(page.getByLabel("所在村(社区)")).toHaveValue("330110005001");
  await showSection(page, "基本信息");
  await page.getByLabel("姓名").fill("王来访");
  await page.getByRole("button", { name: "返回名册" }).click();
  const added = page.locator(".persons .person", { hasText: "王来访" });
  await expect(added).toContainText("名册外");
  await expect(added).toContainText("草稿");
  // Not one of the persons assigned: what is done is what the server holds of the roster's
  // two (earlier tests delivered some), this fresh device having none of its own.
  const held = [CERT, ZHAO_CERT].filter((cert) => onServer(cert).length > 0).length;
  await expect(page.locator("#count-done")).toHaveText(`${held} / 2`);

  // One community form per village: opening it twice finds the same record.
  const village = page.locator(".villages .village", { hasText: "330110005001" });
  await village.getByRole("button").click();
  await expect(page.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  // The village is the record's subject: shown as the roster has it, not a choice to change.
  const its = page.getByRole("textbox", { name: "村(社区)", exact: true });
  await expect(its).toHaveValue("五常街道 顾家桥社区");
  await expect(its).toHaveJSProperty("readOnly", true);
  await expect(page.getByRole("combobox", { name: "村(社区)", exact: true })).toHaveCount(0);
  await showSection(page, "基本情况");
  await page.getByLabel("持证残疾人数").fill("2");
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(village).toContainText("草稿");
  await village.getByRole("button").click();
  await showSection(page, "基本情况");
  await expect(page.getByLabel("持证残疾人数")).toHaveValue("2");
});

test("no serious or critical accessibility violation on the roster and the form", async ({ page }) => {
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await person(page, "赵六").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.locator(".error-summary")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await showSection(page, "基本信息");
  expect(await seriousViolations(page)).toEqual([]);
});

// A screen starts at its top with the focus where it begins, not at the scroll position of the
// screen before; back on the roster, the focus is on the row of the record just left.
test("a record opens at its top, and the roster comes back at the row it was opened from", async ({ page }) => {
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  const focused = () => page.evaluate(() => ({
    id: document.activeElement.id,
    subject: document.activeElement.dataset.subject || null,
    inView: (() => {
      const box = document.activeElement.getBoundingClientRect();
      return box.top >= 0 && box.bottom <= window.innerHeight;
    })(),
    scrollY: window.scrollY,
  }));
  // The last village of the list, far down the page.
  const village = page.locator(".villages .village-open").last();
  const code = await village.getAttribute("data-subject");
  await village.scrollIntoViewIfNeeded();
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(1000);
  await village.click();
  await expect(page.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await expect.poll(focused).toMatchObject({ id: "form-title", scrollY: 0 });
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect.poll(focused).toMatchObject({ subject: code, inView: true });

  // A person at the top of the roster, after scrolling down the form.
  await person(page, "李四").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect.poll(focused).toMatchObject({ id: "form-title", scrollY: 0 });
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect.poll(focused).toMatchObject({ subject: LI_SI.cert, inView: true });
  expect(await page.evaluate(() => window.scrollY)).toBeLessThan(300);
});

// The collector works through one village: back from a record, the roster has the same
// village, status and search, not the whole county again. At the service window they are
// cleared: the next visitor is someone else, of any village.
test("the roster's search and filters are found again after a record", async ({ page }) => {
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await page.getByLabel("村（社区）").selectOption({ value: "330110005001" });
  await page.getByLabel("搜索").fill("李");
  await expect(page.locator(".persons .person")).toHaveCount(1);
  await person(page, "李四").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(page.getByLabel("村（社区）")).toHaveValue("330110005001");
  await expect(page.getByLabel("搜索")).toHaveValue("李");
  await expect(page.locator(".persons .person")).toHaveCount(1);

  await page.goto("/?mode=window");
  await page.getByLabel("村（社区）").selectOption({ value: "330110005001" });
  await page.getByLabel("搜索").fill(CERT);
  await page.getByLabel("搜索").press("Enter");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.getByLabel("搜索")).toHaveValue("");
  await expect(page.getByLabel("搜索")).toBeFocused();
  await expect(page.getByLabel("村（社区）")).toHaveValue("");
});

// A tablet's back button (or the browser's) leads from a record back to the roster, not out
// of the app; forward opens it again. Records left with 返回名册 pile up no history entries,
// so that the back button never has to wade through them.
test("the back button leads from a record to the roster, and leaving records piles up no history", async ({ page }) => {
  await openSignedIn(page, "/");
  const roster = page.getByRole("heading", { name: "调查名册" });
  const record = page.getByRole("heading", { name: "个人登记表" });
  await expect(roster).toBeVisible();
  const entries = await page.evaluate(() => history.length);
  // What happens to the history, in order: each address the back and forward buttons land
  // on (popstate), and each entry the app adds, replaces or goes back over. Shown when an
  // expectation below fails.
  await page.evaluate(() => {
    const log = (window.__history = []);
    const entry = () => ({ search: location.search, state: history.state, entries: history.length });
    addEventListener("popstate", () => log.push({ heard: "popstate", ...entry() }), { capture: true });
    for (const call of ["pushState", "replaceState", "back"]) {
      const real = history[call].bind(history);
      history[call] = (...args) => {
        log.push({ call, url: args[2], ...entry() });
        return real(...args);
      };
    }
  });
  const historyLog = () => page.evaluate(() => window.__history);

  await person(page, "李四").getByRole("button").click();
  await expect(record).toBeVisible();
  await expect(page).toHaveURL(/record=/);
  await page.goBack();
  await expect(roster).toBeVisible();
  await expect(page).not.toHaveURL(/record=/);
  await page.goForward();
  await expect(record).toBeVisible();
  await expect(page).toHaveURL(/record=/);

  for (let visit = 0; visit < 3; visit++) {
    await page.getByRole("button", { name: "返回名册" }).click();
    await expect(roster).toBeVisible();
    await expect(page).not.toHaveURL(/record=/);
    await person(page, visit % 2 ? "李四" : "赵六").getByRole("button").click();
    await expect(record).toBeVisible();
  }
  expect(await page.evaluate(() => history.length)).toBe(entries + 1);
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(roster).toBeVisible();

  // A person added by mistake and left untouched is dropped: forward to its entry finds no
  // record, and the address says so rather than naming it over the roster.
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(record).toBeVisible();
  await expect(page).toHaveURL(/record=/);
  await page.goBack();
  await expect(roster).toBeVisible();
  const before = (await historyLog()).length;
  await page.goForward();
  // Forward has landed on the dropped record's entry, and the app has heard it (its address
  // replaced, or the popstate come); the address then names the roster the app shows.
  try {
    await expect.poll(async () => (await historyLog()).length).toBeGreaterThan(before);
    await expect(roster).toBeVisible();
    await expect(page).not.toHaveURL(/record=/);
  } catch (e) {
    console.log(`the history, in order: ${JSON.stringify(await historyLog(), null, 1)}`);
    throw e;
  }

  // Reloaded in a record, then back: the roster again.
  await person(page, "李四").getByRole("button").click();
  await expect(record).toBeVisible();
  await page.reload();
  await expect(record).toBeVisible();
  await page.goBack();
  await expect(roster).toBeVisible();
});

// A long list of options (民族, 58 of them) is one drop-down list, not a page of buttons: it is
// named by its question, chosen by label or by typing its code, and the page stays short.
test("a long list of options is a drop-down list, chosen by label or by code", async ({ page }) => {
  await openSignedIn(page, "/");
  await person(page, "赵六").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  const ethnicity = page.getByRole("combobox", { name: "民族", exact: true });
  await expect(ethnicity.locator("option")).toHaveCount(59);
  await expect(page.getByRole("radio", { name: "汉族" })).toHaveCount(0);
  expect(await page.evaluate(() => document.body.scrollHeight)).toBeLessThan(3000);

  // Unanswered at 完成: the summary's link leads to the list, which tells its error.
  await page.getByRole("button", { name: "完成" }).click();
  await page.locator("#error-summary").getByRole("link", { name: /^民族/ }).click();
  await expect(ethnicity).toBeFocused();
  await expect(ethnicity).toHaveAttribute("aria-invalid", "true");
  await expect(ethnicity).toHaveAccessibleDescription(/此项必填/);

  await ethnicity.selectOption({ label: "蒙古族" });
  await expect(ethnicity).toHaveAttribute("aria-invalid", "false");
  await expect(ethnicity).toHaveValue("02");
  await ethnicity.focus();
  await page.keyboard.type("03");
  await expect(ethnicity).toHaveValue("03");
  await expect(ethnicity).toBeFocused();
  // Back to an option picked in the list before: the list shows the answer, not its own pick.
  await page.waitForTimeout(1100);
  await page.keyboard.type("02");
  await expect(ethnicity).toHaveValue("02");
  await page.waitForTimeout(1100);
  await page.keyboard.type("03");
  await expect(ethnicity).toHaveValue("03");
  await expect.poll(async () => (await deviceRecords(page))
    .some((r) => r.meta.subject === ZHAO_CERT && r.answers.ethnicity === "03")).toBe(true);
});

// Someone added at the door who is on the roster after all is visited through their line:
// a record added for them would count them twice.
test("a person added at the door whose number is on the roster is sent to their line", async ({ page }) => {
  await openSignedIn(page, "/");
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  const cert = page.getByRole("textbox", { name: "残疾人证号", exact: true });
  const notice = page.locator(".notice.on-roster");
  // Her number reissued since the roster was made (another level): the same ID, so her.
  await cert.fill(`${LI_SI.cert.slice(0, 18)}41`);
  await expect(notice).toContainText("李四");
  // Said at the number too, where the collector is typing, far below the notice on a tablet.
  await expect(cert).toHaveAttribute("aria-invalid", "true");
  await expect(cert).toHaveAccessibleDescription(/名册中已有此人（李四）/);
  await cert.fill("33011019800515003642");
  await expect(notice).toHaveCount(0);
  await expect(cert).not.toHaveAccessibleDescription(/名册中已有此人/);
  await cert.fill(LI_SI.cert);
  await expect(notice).toContainText("名册中已有此人");
  await expect(notice).toContainText("李四");
  await page.getByRole("textbox", { name: "手机号码", exact: true }).fill("13812345678");
  // Her line has no record on this device yet: the record typed becomes it, with what was
  // typed kept and her name from the roster, and no record added at the door is left behind.
  await notice.getByRole("button", { name: "打开名册中的此人" }).click();
  await expect(page.locator(".notices")).toContainText("本记录已转为名册中此人的记录");
  await showSection(page, "基本信息");
  await expect(page.getByLabel("姓名")).toHaveValue("李四");
  await expect(cert).toHaveValue(LI_SI.cert);
  await expect(page.getByRole("textbox", { name: "手机号码", exact: true })).toHaveValue("13812345678");
  await expect(page.locator(".notice.on-roster")).toHaveCount(0);
  await expect.poll(async () => (await deviceRecords(page))
    .filter((r) => r.answers.cert_no === LI_SI.cert)
    .map((r) => [r.meta.off_roster === true, r.meta.subject]))
    .toEqual([[false, LI_SI.cert]]);
  await page.getByRole("button", { name: "返回名册" }).click();
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(page.locator(".persons .person", { hasText: "名册外" })).toHaveCount(0);
});

// Completed all the same, such a record is refused: the way to the person's line takes the
// focus, and the record stays a draft on the device (the server refuses it too).
test("a person added at the door whose number is on the roster cannot be completed as such", async ({ page }) => {
  test.setTimeout(60_000);
  await openSignedIn(page, "/");
  await page.getByLabel("村（社区）").selectOption({ value: "330110005001" });
  await page.getByRole("button", { name: "添加名册外人员" }).click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await page.getByLabel("姓名").fill("李四");
  await page.getByRole("textbox", { name: "残疾人证号", exact: true }).fill(CERT);
  await fillByLabels(page, "individual", { hukou_type: "1" });
  for (const part of LI_SI.parts) await fillByLabels(page, "individual", part);
  await page.getByRole("button", { name: "完成" }).click();
  // Whatever warnings there are come first, as for any record.
  for (const box of await page.locator(".warnings").getByRole("checkbox", { name: "已核实无误" }).all()) await box.check();
  await page.getByRole("button", { name: "完成" }).click();
  const notice = page.locator(".notice.on-roster");
  await expect(notice.locator("#on-roster-refused")).toContainText("本记录未完成");
  const open = notice.getByRole("button", { name: "打开名册中的此人" });
  await expect(open).toBeFocused();
  await expect(open).toHaveAttribute("aria-describedby", "on-roster-refused");
  // Read once, as the button's description: the refusal is not in the alert's live region.
  await expect(page.getByRole("alert").filter({ hasText: "本记录未完成" })).toHaveCount(0);
  await expect(page.getByRole("alert").filter({ hasText: "名册中已有此人" })).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await expect.poll(async () => (await deviceRecords(page))
    .filter((r) => r.meta.off_roster && r.answers.cert_no === CERT).map((r) => r.status))
    .toEqual(["draft"]);
  // The way there: the person's own line, prefilled from the roster.
  await open.press("Enter");
  await showSection(page, "基本信息");
  await expect(page.getByLabel("姓名")).toHaveValue("李四");
  await expect(page.locator(".notice.on-roster")).toHaveCount(0);
});

// The summary's link to a village not chosen leads to its town: the village's list cannot be
// used before a town is chosen, so it cannot take the focus.
test("an error's link to a village not yet choosable leads to the town to choose first", async ({ page }) => {
  await openSignedIn(page, "/?form=individual");
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByRole("button", { name: "完成" }).click();
  await page.locator(".error-summary a", { hasText: "所在村(社区)" }).click();
  await expect.poll(() => page.evaluate(() => document.activeElement.id)).toBe("f-region_code-town");
});

test("an error's link to a choice question leads to an option drawn, which tells its error", async ({ page }) => {
  await openSignedIn(page, "/?form=individual");
  // Category 4 (肢体): 辅助器具需求 does not offer its first option, 盲杖.
  await fillByLabels(page, "individual", { cert_no: "33011019900101001241", rehab_need: ["4"] });
  await page.getByRole("button", { name: "完成" }).click();
  await page.locator(".error-summary a", { hasText: "辅助器具需求" }).click();
  const group = page.getByRole("group", { name: "辅助器具需求", exact: true });
  await expect(group.getByRole("checkbox", { name: "盲杖" })).toHaveCount(0);
  const wheelchair = group.getByRole("checkbox", { name: "轮椅", exact: true });
  await expect(wheelchair).toBeFocused();
  // The option itself says that its question is in error, and what the error is.
  await expect(wheelchair).toHaveAttribute("aria-invalid", "true");
  const described = (await wheelchair.getAttribute("aria-describedby")).split(" ");
  await expect(page.locator(described.map((id) => `#${id}`).join(", ")).filter({ hasText: "此项必填" })).toHaveCount(1);
  // The jump list says how many errors a page has in words, not by a bare number.
  await expect(page.getByRole("navigation", { name: "章节" }).getByRole("button", { name: /基本医疗与康复（\d+ 处错误）/ })).toBeVisible();
});

// At 200% zoom a tablet 800 CSS pixels wide shows 400: nothing may need sideways scrolling, and
// every control stays at least 44 px high for a finger.
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      problems.push(`page is ${document.documentElement.scrollWidth}px wide in ${window.innerWidth}px`);
    }
    const targets = "button, select, input:not([type=radio]):not([type=checkbox]), label.choice, label.confirm, nav.forms a, .error-summary a, .warning-item a";
    for (const element of document.querySelectorAll(targets)) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.height < 44) problems.push(`${element.outerHTML.slice(0, 80)} is ${box.height}px high`);
      // Inside a row made to scroll sideways (the forms of the bar), reached by scrolling it.
      const scrolls = (e) => e && (["auto", "scroll"].includes(getComputedStyle(e).overflowX) || scrolls(e.parentElement));
      if (box.right > window.innerWidth + 1 && !scrolls(element.parentElement)) {
        problems.push(`${element.outerHTML.slice(0, 80)} sticks out`);
      }
    }
    return problems;
  });
}

test("readable at 200% zoom, with targets for a finger", async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 700 });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  expect(await layoutProblems(page)).toEqual([]);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  expect(await layoutProblems(page)).toEqual([]);
  await person(page, "李四").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  expect(await layoutProblems(page)).toEqual([]);
  await showSection(page, "基本信息");
  expect(await layoutProblems(page)).toEqual([]);
  // The pages to jump to keep to one line, scrolled sideways (wrapped, they took 430 px of a
  // phone's 740): each page turned to with 下一页 is brought into that line.
  const jump = page.getByRole("navigation", { name: "章节" });
  const line = jump.locator("ol");
  expect((await jump.boundingBox()).height).toBeLessThan(140);
  expect(await line.evaluate((ol) => ol.scrollWidth > ol.clientWidth)).toBe(true);
  const next = page.getByRole("button", { name: "下一页" });
  let turned = 0;
  while (await next.isEnabled()) {
    await next.click();
    turned += 1;
    const shown = jump.locator("[aria-current]");
    await expect(shown).toHaveCount(1);
    const [inLine, box] = [await line.boundingBox(), await shown.boundingBox()];
    expect(box.x).toBeGreaterThanOrEqual(inLine.x - 1);
    expect(box.x + box.width).toBeLessThanOrEqual(inLine.x + inLine.width + 1);
  }
  expect(turned).toBeGreaterThan(3);
  await expect(jump.getByRole("button").last()).toHaveAttribute("aria-current", "step");
  // The error summary's links, once the collector tried to complete.
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.locator(".error-summary a").first()).toBeVisible();
  expect(await layoutProblems(page)).toEqual([]);
  // The one-form mode in English, whose bar lists every form: the bar keeps to two lines,
  // and scrolls away with the page.
  await page.goto("/?form=individual");
  await page.getByRole("button", { name: "切换语言" }).click();
  await expect(page.getByRole("heading", { name: "Individual form" })).toBeVisible();
  await expect(page.locator("nav.forms a")).toHaveCount(3);
  expect(await layoutProblems(page)).toEqual([]);
  const bar = await page.locator("header.bar").boundingBox();
  expect(bar.height).toBeLessThan(130);
  await page.evaluate(() => window.scrollTo(0, 400));
  expect((await page.locator("header.bar").boundingBox()).y).toBeLessThan(0);
});

// The keypad comes from the form's own checks: digits only, the numeric keypad; digits and a
// dash, the telephone keypad; a certificate number, which may hold an X, the full keyboard.
test("a number typed on a tablet gets a keypad, a certificate number the full keyboard", async ({ page }) => {
  await openSignedIn(page, "/");
  await person(page, "李四").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await expect(page.getByRole("textbox", { name: "手机号码", exact: true })).toHaveAttribute("inputmode", "numeric");
  await expect(page.getByRole("textbox", { name: "固定电话", exact: true })).toHaveAttribute("inputmode", "tel");
  await expect(page.getByRole("textbox", { name: "残疾人证号", exact: true })).not.toHaveAttribute("inputmode");
  // Its check character typed as x is kept as X (the form says `upper_case`).
  const cert = page.getByRole("textbox", { name: "残疾人证号", exact: true });
  await cert.fill("33011019800515107x42");
  await expect(cert).toHaveValue("33011019800515107X42");
});

test("a roster the device holds already is not downloaded again at the next start", async ({ context }) => {
  const page = await context.newPage();
  const answers = [];
  page.on("response", (response) => {
    if (response.url().endsWith("/api/v1/assignments")) {
      answers.push({ status: response.status(), held: response.request().headers()["if-none-match"] });
    }
  });
  await openSignedIn(page, "/");
  await expect(page.locator(".persons .person")).toHaveCount(2);
  // The sign-in fetched the roster whole.
  await expect.poll(() => answers.length).toBe(1);
  expect(answers[0]).toEqual({ status: 200, held: undefined });

  // The next start names the roster it holds; the server still has it, and sends nothing.
  await page.reload();
  await expect.poll(() => answers.length).toBe(2);
  expect(answers[1].status).toBe(304);
  expect(answers[1].held).toMatch(/^W\/"[0-9a-f]{32}"$/);
  // The roster kept on the device stays in use, counts and all.
  await expect(page.locator(".persons .person")).toHaveCount(2);
  await expect(person(page, "李四")).toBeVisible();
  await expect(page.locator("#count-done")).toContainText("/ 2");

  // Signing in again (the sign-in was lost; the roster was not) names the roster in hand too.
  await forgetSession(page);
  await page.reload();
  // The kept roster reaches the state just after the sign-in screen shows; a sign-in quicker
  // than that would name no tag, and fetch the roster whole.
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  await page.waitForTimeout(500);
  await signIn(page);
  await expect.poll(() => answers.length).toBe(3);
  expect(answers[2]).toEqual({ status: 304, held: answers[1].held });
  await expect(page.locator(".persons .person")).toHaveCount(2);
});
