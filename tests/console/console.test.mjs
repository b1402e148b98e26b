// End-to-end tests of the web console in headless Chromium (Debian's /usr/bin/chromium driven
// by playwright-core), against a real `petrel serve` started by
// crates/petrel/tests/console_browser.rs, which passes:
//   PETREL_URL            http://127.0.0.1:PORT
//   PETREL_ROOT_LOGIN     root login name from initial-credentials.json
//   PETREL_ROOT_PASSWORD  root password
//   PETREL_SCREENSHOTS    folder for one screenshot per test (git-ignored)
// The tests run in order and build on each other, as an administrator would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = need("PETREL_URL");
const rootLogin = need("PETREL_ROOT_LOGIN");
const rootPassword = need("PETREL_ROOT_PASSWORD");
const shots = need("PETREL_SCREENSHOTS");
const grpcAddr = need("PETREL_GRPC");
const alias = rootLogin.split("@")[1];
const userPassword = "Petrel-Console-1!";

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through cargo test --test console_browser`);
  return v;
}

let browser;
let root;
// Set as the tests build on each other.
let instanceUrl = "";
let sentId = "";

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  root = await browser.newPage();
  root.setDefaultTimeout(20000);
});

after(async () => {
  await browser?.close();
});

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, login, password) {
  await page.goto(`${url}/console/login`);
  await page.fill('input[name="login_name"]', login);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
}

async function createUser(page, name, { password = "", accessKey = false } = {}) {
  await page.goto(`${url}/console/users/new`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="display_name"]', `${name} display`);
  if (password) await page.fill('input[name="password"]', password);
  if (accessKey) await page.check('input[name="access_key"]');
  await page.click('main button[type="submit"]');
  await page.waitForSelector(`h1:has-text("User ${name} created")`);
}

async function choosePolicy(page, kind, name) {
  await page.click(`[data-tab="${kind}"]`);
  await page.fill("[data-policy-search]", name);
  await page.check(`.policy[data-name="${name}"] input`);
}

test("a wrong root password is refused with the reason and no session", async () => {
  await signIn(root, rootLogin, "not-the-password");
  const alert = await root.textContent('[role="alert"]');
  assert.match(alert, /InvalidCredentials|password/i);
  assert.equal(new URL(root.url()).pathname, "/console/login");
  const cookies = await root.context().cookies();
  assert.ok(!cookies.some((c) => c.name === "petrel_console"), "no session cookie after a failure");
  await shot(root, "01-login-refused");
});

test("root signs in with an HttpOnly SameSite session cookie and sees the activation dialog", async () => {
  await signIn(root, rootLogin, rootPassword);
  await root.waitForURL(/\/console\/activate$/);
  const cookie = (await root.context().cookies()).find((c) => c.name === "petrel_console");
  assert.ok(cookie, "session cookie set");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.equal(await root.textContent('[data-testid="who"]'), rootLogin);
  assert.ok(await root.isVisible('[role="dialog"]'));
  await shot(root, "02-activation-dialog");
});

test("MQ pages stay behind the dialog until the terms are accepted, then activation opens them", async () => {
  await root.goto(`${url}/console/instances`);
  await root.waitForURL(/\/console\/activate$/);
  await root.check('input[name="terms"]');
  await root.click('button:has-text("Activate now")');
  await root.waitForURL(/\/console\/instances$/);
  assert.ok(await root.isVisible('h1:has-text("Instances")'));
  await shot(root, "03-activated");
});

test("a change without the session's csrf token is refused", async () => {
  const status = await root.evaluate(async () => {
    const r = await fetch("/console/users", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=forged",
    });
    return [r.status, await r.text()];
  });
  assert.equal(status[0], 403);
  assert.match(status[1], /InvalidCsrfToken/);
  await root.goto(`${url}/console/users?q=forged`);
  assert.ok(await root.isVisible("text=No users match"));
});

test("root creates a RAM user with a console password and an AccessKey shown once", async () => {
  await createUser(root, "pubonly", { password: userPassword, accessKey: true });
  const id = await root.textContent('[data-testid="ak-id"]');
  const secret = await root.textContent('[data-testid="ak-secret"]');
  assert.match(id, /^LTAI/);
  assert.ok(secret.length >= 20, "the secret is shown");
  await shot(root, "04-user-created-access-key");
  await root.goto(`${url}/console/users/pubonly`);
  assert.ok(await root.isVisible(`code:has-text("${id}")`), "the key is listed");
  assert.equal(await root.locator('[data-testid="ak-secret"]').count(), 0, "the secret is never shown again");
  assert.ok(!(await root.content()).includes(secret), "the secret is not in the page");
  assert.ok(await root.isVisible("text=Console access is enabled"));
});

test("the users list is searched on the server", async () => {
  for (const name of ["sub1", "sub2", "sub3"]) await createUser(root, name);
  await root.goto(`${url}/console/users`);
  await root.fill('input[name="q"]', "sub");
  await root.click('button:has-text("Search")');
  await root.waitForURL(/q=sub/);
  const rows = await root.locator("tr[data-user]").evaluateAll((trs) => trs.map((t) => t.dataset.user));
  assert.deepEqual(rows.sort(), ["sub1", "sub2", "sub3"]);
  await shot(root, "05-users-search");
});

test("AliyunMQPubOnlyAccess is granted from the user's row, pre-filling the principal", async () => {
  await root.goto(`${url}/console/users?q=pubonly`);
  await root.click('tr[data-user="pubonly"] a:has-text("Add permissions")');
  await root.waitForURL(/\/console\/grants\/new/);
  const selected = await root.$$eval('select[name="principal"] option:checked', (os) => os.map((o) => o.value));
  assert.deepEqual(selected, ["user:pubonly"]);
  await choosePolicy(root, "system", "AliyunMQPubOnlyAccess");
  await shot(root, "06-grant-panel-pubonly");
  await root.click('button:has-text("Grant permissions")');
  await root.waitForURL(/\/console\/grants$/);
  assert.ok(await root.isVisible('tr:has-text("pubonly"):has-text("AliyunMQPubOnlyAccess"):has-text("Account")'));
});

test("AliyunMQSubOnlyAccess is granted to three users at once from a multi-select on the Users page", async () => {
  await root.goto(`${url}/console/users?q=sub`);
  for (const name of ["sub1", "sub2", "sub3"]) await root.check(`input[value="user:${name}"]`);
  await root.click('[data-testid="grant-selected"]');
  await root.waitForURL(/\/console\/grants\/new/);
  const selected = await root.$$eval('select[name="principal"] option:checked', (os) => os.map((o) => o.value));
  assert.deepEqual(selected, ["user:sub1", "user:sub2", "user:sub3"]);
  await choosePolicy(root, "system", "AliyunMQSubOnlyAccess");
  await root.click('button:has-text("Grant permissions")');
  await root.waitForURL(/\/console\/grants$/);
  for (const name of ["sub1", "sub2", "sub3"]) {
    assert.ok(await root.isVisible(`tr:has-text("${name}"):has-text("AliyunMQSubOnlyAccess")`), name);
  }
  await shot(root, "07-grants-three-users");
});

test("a custom policy is validated as it is typed, and granted at resource-group scope", async () => {
  await root.goto(`${url}/console/resource-groups`);
  await root.fill('#create-rg input[name="name"]', "team-a");
  await root.fill('#create-rg input[name="display_name"]', "Team A");
  await root.click('#create-rg button[type="submit"]');
  await root.waitForSelector('tr[data-rg="team-a"]');
  const rgId = (await root.textContent('tr[data-rg="team-a"] td')).trim();

  await root.goto(`${url}/console/policies`);
  await root.click("#create-policy summary");
  await root.fill('#create-policy input[name="name"]', "team-readonly");
  await root.fill("[data-json-editor]", '{"Version": "1", "Statement": [');
  assert.match(await root.textContent("[data-json-error]"), /Invalid JSON/);
  await shot(root, "11-policy-editor-invalid-json");
  await root.fill("[data-json-editor]", JSON.stringify({ Version: "1", Statement: [{ Effect: "Maybe", Action: "rocketmq:Get*", Resource: "*" }] }));
  assert.ok(await root.isHidden("[data-json-error]"));
  await root.click('#create-policy button[type="submit"]');
  assert.match(await root.textContent('[data-testid="policy-error"]'), /MalformedPolicyDocument|Effect|Maybe/);
  await root.fill("[data-json-editor]", JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["rocketmq:Get*", "rocketmq:List*"], Resource: "*" }] }));
  await root.click('#create-policy button[type="submit"]');
  await root.waitForSelector('tr[data-policy="team-readonly"]');

  await root.goto(`${url}/console/grants/new?principal=user:sub3`);
  await root.check('input[name="scope"][value="resource_group"]');
  await root.selectOption('select[name="resource_group"]', rgId);
  await choosePolicy(root, "custom", "team-readonly");
  await shot(root, "12-grant-custom-policy-resource-group");
  await root.click('button:has-text("Grant permissions")');
  await root.waitForURL(/\/console\/grants$/);
  assert.ok(await root.isVisible(`tr:has-text("sub3"):has-text("team-readonly"):has-text("Resource group ${rgId}")`));
});

test("AdministratorAccess needs the explicit high-risk confirmation", async () => {
  await root.goto(`${url}/console/grants/new?principal=user:sub1`);
  await choosePolicy(root, "system", "AdministratorAccess");
  assert.ok(await root.isVisible("[data-risk-preview]"), "the panel warns before submitting");
  await root.click('button:has-text("Grant permissions")');
  await root.waitForSelector('[data-testid="high-risk"]');
  assert.match(await root.textContent('[data-testid="high-risk"]'), /AdministratorAccess/);
  await shot(root, "08-high-risk-confirmation");
  const grants = await root.evaluate(async () => (await fetch("/console/grants")).text());
  assert.ok(grants.includes("AliyunMQPubOnlyAccess"), "the grants page answered");
  assert.ok(!grants.includes("AdministratorAccess"), "nothing granted without confirmation");
  assert.ok(await root.isChecked('.policy[data-name="AdministratorAccess"] input'), "the selection is kept");
  await root.check('input[name="confirm_high_risk"]');
  await root.click('button:has-text("Confirm and grant")');
  await root.waitForURL(/\/console\/grants$/);
  assert.ok(await root.isVisible('tr:has-text("sub1"):has-text("AdministratorAccess")'));
});

test("selected grants are revoked together", async () => {
  await root.goto(`${url}/console/grants`);
  root.once("dialog", (d) => d.accept());
  await root.check('tr:has-text("sub1"):has-text("AdministratorAccess") input[name="grant"]');
  await root.check('tr:has-text("sub2"):has-text("AliyunMQSubOnlyAccess") input[name="grant"]');
  await root.click('button:has-text("Revoke selected")');
  await root.waitForURL(/\/console\/grants$/);
  assert.equal(await root.locator('tr:has-text("AdministratorAccess")').count(), 0);
  assert.equal(await root.locator('tr:has-text("sub2"):has-text("AliyunMQSubOnlyAccess")').count(), 0);
  assert.ok(await root.isVisible('tr:has-text("sub3"):has-text("AliyunMQSubOnlyAccess")'));
});

test("root creates an instance, a topic and a consumer group, then sends a test message", async () => {
  await root.goto(`${url}/console/instances`);
  await root.click("#create-instance summary");
  await root.fill('#create-instance input[name="name"]', "console-inst");
  await root.click('#create-instance button[type="submit"]');
  await root.waitForURL(/\/console\/instances\/[^/]+$/);
  // The endpoint the SDKs connect to is the server's real gRPC address.
  assert.equal(await root.textContent('[data-testid="grpc-endpoint"]'), grpcAddr);
  await root.fill('#create-topic input[name="name"]', "orders");
  await root.selectOption('#create-topic select[name="message_type"]', "NORMAL");
  await root.click('#create-topic button[type="submit"]');
  await root.waitForSelector('td:has-text("orders")');
  await root.fill('#create-group input[name="group_id"]', "GID_orders");
  await root.selectOption('#create-group select[name="delivery_order"]', "Orderly");
  await root.click('#create-group button[type="submit"]');
  await root.waitForSelector('td:has-text("GID_orders")');
  assert.ok(await root.isVisible('tr:has-text("GID_orders"):has-text("Orderly")'));
  await root.selectOption('#send-message select[name="topic"]', "orders");
  await root.fill('#send-message input[name="key"]', "order-42");
  await root.fill('#send-message textarea[name="body"]', "hello from the console");
  await root.click('#send-message button[type="submit"]');
  const notice = await root.textContent('[data-testid="notice"]');
  assert.match(notice, /message [0-9A-F]{34} sent to topic orders/);
  sentId = notice.match(/message ([0-9A-F]{34})/)[1];
  instanceUrl = root.url().replace(/\/send$/, "");
  await shot(root, "09-instance-topic-group-sent");
});

test("the test message is found by its key, and its detail shows properties and each group's state", async () => {
  await root.goto(instanceUrl);
  await root.click('[data-testid="message-query"]');
  await root.click('a[role="tab"]:has-text("By message key")');
  await root.selectOption('#message-query select[name="topic"]', "orders");
  await root.fill('#message-query input[name="key"]', "order-42");
  await root.click('#message-query button[type="submit"]');
  await root.waitForSelector('[data-testid="query-summary"]');
  assert.match(await root.textContent('[data-testid="query-summary"]'), /1 message\(s\) with key order-42, newest first/);
  const ids = await root.locator("tr[data-message]").evaluateAll((trs) => trs.map((t) => t.dataset.message));
  assert.deepEqual(ids, [sentId]);
  assert.ok(await root.isVisible(`tr[data-message="${sentId}"]:has-text("hello from the console")`));
  await shot(root, "13-message-found-by-key");

  await root.click(`tr[data-message="${sentId}"] a`);
  await root.waitForSelector('[data-testid="message-id"]');
  assert.equal(await root.textContent('[data-testid="message-id"]'), sentId);
  assert.equal(await root.textContent('[data-testid="message-keys"]'), "order-42");
  assert.equal(await root.textContent('[data-testid="message-body"]'), "hello from the console");
  assert.match(await root.textContent('[data-testid="store-time"]'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/);
  assert.match(await root.textContent('tr[data-group="GID_orders"]'), /NOT_DELIVERED/);
  await shot(root, "14-message-detail");

  // A key nobody used finds nothing, and says so.
  await root.goto(`${instanceUrl}/messages?by=key&topic=orders&key=no-such-key`);
  assert.match(await root.textContent('[data-testid="query-summary"]'), /No message with key no-such-key/);
  assert.equal(await root.locator("tr[data-message]").count(), 0);
});

test("the message is found by its id and within the last hour's time range", async () => {
  await root.goto(`${instanceUrl}/messages?by=id&topic=orders&message_id=${sentId}`);
  assert.match(await root.textContent('[data-testid="query-summary"]'), /1 message found/);
  assert.equal(await root.locator(`tr[data-message="${sentId}"]`).count(), 1);
  await root.goto(`${instanceUrl}/messages?by=time&topic=orders`);
  await root.click('#message-query button[type="submit"]');
  await root.waitForSelector('[data-testid="query-summary"]');
  assert.match(await root.textContent('[data-testid="query-summary"]'), /1 message\(s\) stored from .* oldest first, 20 per page: this is the last page/);
  assert.equal(await root.locator(`tr[data-message="${sentId}"]`).count(), 1);
  await shot(root, "15-message-by-time-range");
});

test("the consumer group page shows order, retry policy and true lag, and a reset to latest clears it", async () => {
  await root.goto(instanceUrl);
  await root.click('a:has-text("GID_orders")');
  await root.waitForSelector('[data-testid="delivery-order"]');
  assert.equal(await root.textContent('[data-testid="delivery-order"]'), "Orderly");
  assert.match(await root.textContent('[data-testid="retry-policy"]'), /up to 16 retries/);
  const row = 'tr[data-lag="GID_orders/orders"]';
  assert.equal((await root.textContent(`${row} [data-testid="ready"]`)).trim(), "1");
  assert.equal((await root.textContent(`${row} [data-testid="inflight"]`)).trim(), "0");
  const lagTime = await root.textContent(`${row} [data-testid="lag-time"]`);
  assert.match(lagTime, /^\d+ (ms|s)|min/, `a real lag time, not "${lagTime}"`);
  assert.match(await root.textContent('[data-testid="dead-letters"]'), /No dead letters/);
  await shot(root, "16-group-lag");

  root.once("dialog", (d) => d.accept());
  await root.selectOption('#reset-offset select[name="topic"]', "orders");
  await root.check('#reset-offset input[value="latest"]');
  await root.click('#reset-offset button[type="submit"]');
  await root.waitForSelector('[data-testid="notice"]');
  assert.match(await root.textContent('[data-testid="notice"]'), /Offset of GID_orders on topic orders reset to the latest message/);
  assert.equal((await root.textContent(`${row} [data-testid="ready"]`)).trim(), "0");
  assert.match(await root.textContent(`${row} [data-testid="lag-time"]`), /caught up/);
  await shot(root, "17-group-reset-offset");

  // The message now counts as consumed by the group.
  await root.goto(`${instanceUrl}/topics/orders/messages/${sentId}`);
  assert.match(await root.textContent('tr[data-group="GID_orders"]'), /CONSUMED/);
});

test("the instance dashboard charts the messages sent and waiting over recent time", async () => {
  await root.goto(`${instanceUrl}/dashboard`);
  assert.equal(await root.locator("svg[data-chart]").count(), 4);
  await root.waitForTimeout(1200);
  await root.goto(instanceUrl);
  await root.selectOption('#send-message select[name="topic"]', "orders");
  await root.fill('#send-message input[name="key"]', "order-43");
  await root.fill('#send-message textarea[name="body"]', "second message");
  await root.click('#send-message button[type="submit"]');
  await root.waitForSelector('[data-testid="notice"]');
  // Each view takes a sample (at most one a second): three give two rates, a line.
  for (let i = 0; i < 2; i++) {
    await root.waitForTimeout(1200);
    await root.goto(`${instanceUrl}/dashboard`);
  }
  assert.ok(Number(await root.textContent('[data-testid="samples"]')) >= 3);
  const sentMax = Number(await root.getAttribute('svg[data-chart="sent"]', "data-max"));
  assert.ok(sentMax > 0, `the send rate rose above zero (max ${sentMax})`);
  assert.ok(await root.locator('svg[data-chart="sent"] g[data-series="orders"] polyline').count() >= 1, "the orders series is drawn");
  assert.equal(await root.getAttribute('svg[data-chart="waiting"] g[data-series="GID_orders / orders"]', "data-last"), "1");
  await shot(root, "25-dashboard");
});

test("the console speaks Chinese from the one catalogue and has a dark theme", async () => {
  await root.goto(instanceUrl);
  await root.click('a[data-lang="zh"]');
  await root.waitForSelector('h3:has-text("Topic 管理")');
  assert.equal((await root.textContent('nav.side a[href="/console/instances"]')).trim(), "实例列表");
  assert.equal(await root.getAttribute("html", "lang"), "zh");
  await root.goto(`${instanceUrl}/messages?by=key&topic=orders&key=order-42`);
  assert.ok(await root.isVisible('a[role="tab"]:has-text("按 Message Key 查询")'));
  assert.ok(await root.isVisible('th:has-text("存储时间")'));
  await shot(root, "26-zh-message-query");
  await root.goto(`${instanceUrl}/groups/GID_orders`);
  assert.ok(await root.isVisible('h3:has-text("重置消费位点")'));
  await root.click("[data-theme-toggle]");
  assert.equal(await root.getAttribute("html", "data-theme"), "dark");
  const bg = await root.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(22, 24, 28)", "the dark palette applies");
  await shot(root, "27-zh-dark-group");
  await root.click("[data-theme-toggle]");
  assert.equal(await root.getAttribute("html", "data-theme"), "light");
  await root.click('a[data-lang="en"]');
  await root.waitForSelector('h3:has-text("Reset consumer offset")');
});

test("the topic page shows its type and every group's lag on it", async () => {
  await root.goto(`${instanceUrl}/topics/orders`);
  assert.equal(await root.textContent('[data-testid="topic-type"]'), "NORMAL");
  assert.ok(await root.isVisible('tr[data-lag="GID_orders/orders"]'));
  await shot(root, "18-topic-detail");
});

test("the PubOnly user signs in and is refused on a management page with the reason", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await signIn(page, `pubonly@${alias}`, userPassword);
  await page.waitForURL(/\/console\/instances$/);
  await page.goto(`${url}/console/users`);
  const error = await page.textContent('[data-testid="error"]');
  assert.match(error, /NoPermission/);
  assert.match(error, /ram:ListUsers/);
  await shot(page, "10-pubonly-refused");
  await page.goto(`${url}/console/instances/does-not-matter`);
  assert.match(await page.textContent('[data-testid="error"]'), /NoPermission|rocketmq:GetInstance/);
  await context.close();
});

test("the audit page shows who did what and when, allowed or denied, and refuses a user without the grant", async () => {
  await root.goto(`${url}/console/audit`);
  await root.selectOption('#audit-filter select[name="outcome"]', "denied");
  await root.click('#audit-filter button[type="submit"]');
  await root.waitForURL(/outcome=denied/);
  const denied = root.locator('tr[data-who="pubonly"][data-action="ram:ListUsers"]').first();
  assert.ok(await denied.isVisible(), "the PubOnly user's refusal is recorded");
  assert.match(await denied.textContent(), /Denied/);
  assert.match(await denied.textContent(), /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  assert.match(await denied.textContent(), /Console/);
  assert.equal(await root.locator("tr.allowed").count(), 0, "only denials are listed");
  await shot(root, "19-audit-denied");
  await root.goto(`${url}/console/audit?action=ram:CreateUser`);
  const created = root.locator('tr[data-action="ram:CreateUser"]');
  assert.ok((await created.count()) >= 4, "every user creation is recorded");
  assert.match(await created.first().textContent(), /Allowed/);

  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await signIn(page, `pubonly@${alias}`, userPassword);
  await page.waitForURL(/\/console\/instances$/);
  await page.goto(`${url}/console/audit`);
  const error = await page.textContent('[data-testid="error"]');
  assert.match(error, /NoPermission/);
  assert.match(error, /actiontrail:LookupEvents/);
  await context.close();
});

test("resource groups are renamed, instances move between them, and a group in use is not deleted", async () => {
  await root.goto(`${url}/console/resource-groups`);
  await root.fill('tr[data-rg="team-a"] form.rename input[name="display_name"]', "Team A (renamed)");
  await root.click('tr[data-rg="team-a"] form.rename button');
  await root.waitForSelector('tr[data-rg="team-a"] [data-testid="rg-display"]:has-text("Team A (renamed)")');

  const rgId = (await root.textContent('tr[data-rg="team-a"] td')).trim();
  await root.selectOption('#move-instance select[name="instance"]', instanceUrl.split("/").pop());
  await root.selectOption('#move-instance select[name="target"]', rgId);
  await root.click('#move-instance button[type="submit"]');
  await root.waitForSelector('tr[data-rg="team-a"] [data-testid="rg-instances"]:has-text("console-inst")');
  await shot(root, "20-resource-group-moved");

  root.once("dialog", (d) => d.accept());
  await root.click('tr[data-rg="team-a"] form.delete button');
  const error = await root.textContent('[data-testid="error"]');
  assert.match(error, /still holds 1 instance/);
  await shot(root, "21-resource-group-delete-refused");

  await root.goto(`${url}/console/resource-groups`);
  await root.fill('#create-rg input[name="name"]', "scratch");
  await root.click('#create-rg button[type="submit"]');
  await root.waitForSelector('tr[data-rg="scratch"]');
  root.once("dialog", (d) => d.accept());
  await root.click('tr[data-rg="scratch"] form.delete button');
  await root.waitForURL(/\/console\/resource-groups$/);
  assert.equal(await root.locator('tr[data-rg="scratch"]').count(), 0, "an empty group is deleted");
  assert.equal(await root.locator('tr[data-rg="team-a"]').count(), 1);
});

test("a user group is created, gets members, and its permissions link opens the grant panel for it", async () => {
  await root.goto(`${url}/console/user-groups`);
  await root.fill('#create-user-group input[name="name"]', "ops");
  await root.fill('#create-user-group input[name="comments"]', "operators");
  await root.click('#create-user-group button[type="submit"]');
  await root.waitForURL(/\/console\/user-groups\/ops$/);
  await root.selectOption('#add-members select[name="user"]', ["sub1", "sub2"]);
  await root.click('#add-members button[type="submit"]');
  await root.waitForSelector('tr[data-member="sub2"]');
  const members = await root.locator("tr[data-member]").evaluateAll((trs) => trs.map((t) => t.dataset.member));
  assert.deepEqual(members.sort(), ["sub1", "sub2"]);
  await root.click('tr[data-member="sub2"] button:has-text("Remove")');
  await root.waitForSelector('tr[data-member="sub1"]');
  assert.equal(await root.locator('tr[data-member="sub2"]').count(), 0);
  await shot(root, "22-user-group");

  root.once("dialog", (d) => d.accept());
  await root.click('#delete-user-group button');
  assert.match(await root.textContent('[data-testid="error"]'), /Group\.User|member/i);

  await root.goto(`${url}/console/user-groups/ops`);
  await root.click('a:has-text("Grant Permission")');
  await root.waitForURL(/\/console\/grants\/new/);
  const selected = await root.$$eval('select[name="principal"] option:checked', (os) => os.map((o) => o.value));
  assert.deepEqual(selected, ["group:ops"]);
});

test("a custom policy gets versions: a refused one points at the place, a new default, and back", async () => {
  await root.goto(`${url}/console/policies`);
  await root.click('tr[data-policy="team-readonly"] a');
  await root.waitForURL(/\/console\/policies\/custom\/team-readonly$/);
  assert.equal(await root.textContent('[data-testid="default-version"]'), "v1");
  await root.click("#create-version summary");
  const bad = JSON.stringify({ Version: "1", Statement: [{ Effect: "Maybe", Action: "rocketmq:Get*", Resource: "*" }] }, null, 2);
  await root.fill("#create-version [data-json-editor]", bad);
  await root.click('#create-version button[type="submit"]');
  await root.waitForSelector('[data-testid="policy-error"]');
  assert.match(await root.textContent('[data-testid="policy-error"]'), /MalformedPolicyDocument/);
  assert.match(await root.textContent("[data-error-place]"), /At line 5, column \d+/);
  const selected = await root.$eval("#create-version [data-json-editor]", (a) => a.value.slice(a.selectionStart, a.selectionEnd));
  assert.equal(selected, "Maybe", "the editor selects the refused value");
  await shot(root, "23-policy-version-refused");

  const good = JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["rocketmq:Get*", "rocketmq:List*", "rocketmq:QueryMessage"], Resource: "*" }] }, null, 2);
  await root.fill("#create-version [data-json-editor]", good);
  await root.click('#create-version button[type="submit"]');
  await root.waitForSelector('tr[data-version="v2"]');
  assert.equal(await root.textContent('[data-testid="default-version"]'), "v2");
  assert.match(await root.textContent('[data-testid="policy-document"]'), /QueryMessage/);
  await root.click('tr[data-version="v1"] button:has-text("Set as default")');
  await root.waitForSelector('tr[data-version="v1"] [data-testid="is-default"]');
  assert.equal(await root.textContent('[data-testid="default-version"]'), "v1");
  assert.ok(await root.isVisible('[data-testid="policy-grants"] tr:has-text("sub3")'), "the policy's grants are listed");
  await shot(root, "24-policy-versions");
});

test("signing out revokes the session on the server", async () => {
  const cookie = (await root.context().cookies()).find((c) => c.name === "petrel_console");
  await root.goto(`${url}/console/users`);
  await root.click('button:has-text("Sign out")');
  await root.waitForURL(/\/console\/login$/);
  const replay = await fetch(`${url}/console/users`, {
    headers: { cookie: `petrel_console=${cookie.value}` },
    redirect: "manual",
  });
  assert.equal(replay.status, 303);
  assert.equal(replay.headers.get("location"), "/console/login");
});
