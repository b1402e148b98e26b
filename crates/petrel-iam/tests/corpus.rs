//! Corpus tests: every `tests/corpus/*.json` file lists policies (with scope and via) and cases
//! (a request and the expected decision). One test runs them all and reports every failing case
//! by file and case name. The format is described in `tests/corpus/README.md`.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use petrel_iam::{
    Attachment, Context, Decision, PolicyDocument, PolicyType, Principal, Request, Scope, Via,
    evaluate, system_policy,
};
use petrel_model::Arn;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    #[allow(dead_code)]
    description: String,
    /// Named attachment sets; a case picks one with `attachments` (default: `default`).
    policies: BTreeMap<String, Vec<PolicyEntry>>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    /// A system policy name, or the custom policy's name when `document` is given.
    name: String,
    #[serde(default)]
    document: Option<serde_json::Value>,
    #[serde(default = "v1")]
    version: String,
    /// Absent: account scope.
    #[serde(default)]
    resource_group: Option<String>,
    /// Absent: attached directly to the user.
    #[serde(default)]
    group: Option<String>,
}

fn v1() -> String {
    "v1".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default = "default_set")]
    attachments: String,
    request: CaseRequest,
    expect: Expect,
}

fn default_set() -> String {
    "default".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRequest {
    #[serde(default = "default_account")]
    account: String,
    /// Absent: the account root.
    #[serde(default)]
    user: Option<String>,
    action: String,
    resource: String,
    #[serde(default)]
    resource_group: Option<String>,
    #[serde(default)]
    source_ip: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    secure_transport: bool,
    #[serde(default)]
    mfa: bool,
    #[serde(default)]
    extra: BTreeMap<String, String>,
}

fn default_account() -> String {
    "123".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    effect: Option<String>,
    /// The deciding policy and 0-based statement index; absent means no statement decided.
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    statement_index: Option<usize>,
    /// A fragment the explanation must contain.
    #[serde(default)]
    explain_contains: Option<String>,
    /// `InvalidAction` or `InvalidResource`: the request itself is refused.
    #[serde(default)]
    error: Option<String>,
}

fn attachments(entries: &[PolicyEntry]) -> anyhow::Result<Vec<Attachment>> {
    entries
        .iter()
        .map(|p| {
            let (policy_type, version_id, document) = match &p.document {
                Some(doc) => {
                    let text = serde_json::to_string(doc)?;
                    let doc = PolicyDocument::parse(&text)
                        .with_context(|| format!("policy `{}`", p.name))?;
                    (PolicyType::Custom, p.version.clone(), Arc::new(doc))
                }
                None => {
                    let sys = system_policy(&p.name)
                        .ok_or_else(|| anyhow!("no system policy `{}`", p.name))?;
                    (
                        PolicyType::System,
                        sys.version_id().to_owned(),
                        Arc::clone(sys.document()),
                    )
                }
            };
            Ok(Attachment {
                policy_name: p.name.clone(),
                policy_type,
                version_id,
                document,
                scope: p
                    .resource_group
                    .clone()
                    .map_or(Scope::Account, Scope::ResourceGroup),
                via: p.group.clone().map_or(Via::Direct, Via::Group),
            })
        })
        .collect()
}

fn run_case(file: &CorpusFile, case: &Case) -> anyhow::Result<()> {
    let entries = file
        .policies
        .get(&case.attachments)
        .ok_or_else(|| anyhow!("no attachment set `{}`", case.attachments))?;
    let attachments = attachments(entries)?;
    let r = &case.request;
    let principal = match &r.user {
        Some(u) => Principal::user(&r.account, u),
        None => Principal::root(&r.account),
    };
    let resource = Arn::parse(&r.resource)?;
    let time = r.time.as_deref().unwrap_or("2026-06-01T12:00:00Z");
    let mut context = Context::new(OffsetDateTime::parse(time, &Rfc3339)?);
    context.source_ip = r.source_ip.as_deref().map(str::parse).transpose()?;
    context.secure_transport = r.secure_transport;
    context.mfa_present = r.mfa;
    for (k, v) in &r.extra {
        context.insert(k, v);
    }
    let request = Request {
        principal: &principal,
        action: &r.action,
        resource: &resource,
        resource_group: r.resource_group.as_deref(),
        context: &context,
    };
    let result = evaluate(&request, &attachments);
    let e = &case.expect;
    if let Some(want) = &e.error {
        return match result {
            Err(err) if format!("{err:?}").starts_with(want.as_str()) => Ok(()),
            Err(err) => bail!("expected error {want}, got error {err:?}"),
            Ok(d) => bail!("expected error {want}, got decision: {d}"),
        };
    }
    let d: Decision = result?;
    let want_effect = e
        .effect
        .as_deref()
        .ok_or_else(|| anyhow!("`expect` needs `effect` or `error`"))?;
    if d.effect.as_str() != want_effect {
        bail!("expected {want_effect}, got {}: {d}", d.effect.as_str());
    }
    let got = d
        .matched
        .as_ref()
        .map(|m| (m.policy_name.as_str(), m.statement_index));
    let want = e
        .policy
        .as_deref()
        .map(|p| (p, e.statement_index.unwrap_or(0)));
    if got != want {
        bail!("expected matched statement {want:?}, got {got:?}: {d}");
    }
    if let Some(fragment) = &e.explain_contains
        && !d.explain().contains(fragment.as_str())
    {
        bail!("explanation lacks {fragment:?}: {d}");
    }
    Ok(())
}

#[test]
fn corpus_cases_decide_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut passed, mut failures) = (0, Vec::new());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file: CorpusFile = match serde_json::from_str(&std::fs::read_to_string(path).unwrap()) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: unreadable corpus file: {e}"));
                continue;
            }
        };
        for case in &file.cases {
            match run_case(&file, case) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{name} / {}: {e:#}", case.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus case(s) failed ({passed} passed):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        passed >= 40,
        "only {passed} corpus cases found in {}",
        dir.display()
    );
    println!("{passed} corpus cases passed in {} files", files.len());
}
