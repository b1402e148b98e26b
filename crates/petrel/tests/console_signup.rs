//! The console's sign-up page: absent unless configured; when on, it creates an account with
//! the alias and password the visitor chose (alias unique, password policy, the form token
//! checked), shows its root login and AccessKey once, and the new root can sign in and use
//! the key — in an account of its own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

mod common;

use std::process::Command;

use common::{Server, petrel_bin};
use serde_json::Value;

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

struct Answer {
    status: u16,
    cookie: Option<String>,
    body: String,
}

fn request(server: &Server, method: &str, path: &str, cookie: Option<&str>, form: &str) -> Answer {
    let url = server.url(path);
    block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut req = match method {
            "GET" => client.get(&url),
            _ => client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_owned()),
        };
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        Answer {
            status: resp.status().as_u16(),
            cookie: resp
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned()),
            body: resp.text().await.unwrap(),
        }
    })
}

/// The hidden form token of a sign-up page.
fn token_of(html: &str) -> String {
    let at = html.find("name=\"token\" value=\"").expect("a form token") + 20;
    html[at..at + 32].to_owned()
}

/// The text of the element with id `id` (a `<code id=...>`).
fn code_by_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + marker.len();
    html[at..].split('<').next().unwrap().to_owned()
}

/// Opens the form and posts it with the given fields; returns the answer.
fn sign_up(server: &Server, alias: &str, password: &str, confirm: &str) -> Answer {
    let page = request(server, "GET", "/console/signup", None, "");
    assert_eq!(page.status, 200, "{}", page.body);
    let token = token_of(&page.body);
    request(
        server,
        "POST",
        "/console/signup",
        page.cookie.as_deref(),
        &format!("alias={alias}&password={password}&password_confirm={confirm}&token={token}"),
    )
}

#[test]
fn sign_up_is_off_unless_configured() {
    let server = Server::start();
    let page = request(&server, "GET", "/console/signup", None, "");
    assert_ne!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("Create an account"));
}

#[test]
fn sign_up_creates_an_account_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_in(&tmp.path().join("data"), &["--console-signup", "true"]);

    // A post without the form's token (as a cross-site form would send) is refused.
    let forged = request(
        &server,
        "POST",
        "/console/signup",
        None,
        "alias=forged&password=Str0ng-pass&password_confirm=Str0ng-pass&token=00",
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("InvalidCsrfToken"));

    // Password rules and the confirmation.
    let weak = sign_up(&server, "acme", "short1", "short1");
    assert_eq!(weak.status, 400, "{}", weak.body);
    assert!(weak.body.contains("Password"), "{}", weak.body);
    let differ = sign_up(&server, "acme", "Str0ng-pass", "Str0ng-pasS");
    assert_eq!(differ.status, 400);
    assert!(differ.body.contains("differ"));
    let bad_alias = sign_up(&server, "Not%20Valid", "Str0ng-pass", "Str0ng-pass");
    assert_eq!(bad_alias.status, 400, "{}", bad_alias.body);

    let done = sign_up(&server, "acme", "Str0ng-pass", "Str0ng-pass");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        !done.body.contains("Str0ng-pass"),
        "the password is never shown"
    );
    let account = code_by_id(&done.body, "account-id");
    assert_eq!(code_by_id(&done.body, "login-name"), "root@acme");
    let key_id = code_by_id(&done.body, "access-key-id");
    let secret = code_by_id(&done.body, "access-key-secret");

    // The alias is unique.
    let again = sign_up(&server, "acme", "Str0ng-pass", "Str0ng-pass");
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("acme"), "{}", again.body);
    // The first account's alias is taken too.
    assert_eq!(
        sign_up(&server, "petrel", "Str0ng-pass", "Str0ng-pass").status,
        409
    );

    // The new root signs in to the console with the chosen password.
    let login = request(
        &server,
        "POST",
        "/console/login",
        None,
        "login_name=root%40acme&password=Str0ng-pass",
    );
    assert_eq!(login.status, 303, "{}", login.body);
    assert!(login.cookie.is_some());

    // Its AccessKey works, and names the new account, not the first one.
    let out = Command::new(petrel_bin())
        .args(["whoami", "--json", "--endpoint", &server.url("")])
        .env("PETREL_ACCESS_KEY_ID", &key_id)
        .env("PETREL_ACCESS_KEY_SECRET", &secret)
        .env("HOME", tmp.path())
        .env_remove("PETREL_PROFILE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let who: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["AccountId"], account.as_str());
    let first: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("data").join("initial-credentials.json")).unwrap(),
    )
    .unwrap();
    assert_ne!(first["account_id"], account.as_str());
}
