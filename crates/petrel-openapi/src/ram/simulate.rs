//! `SimulatePrincipalPolicy`, our own operation: would this principal be allowed this action on
//! this resource, and which statement decides? The resource is named by its ARN.

use petrel_iam::{MatchedStatement, PolicyType, Scope, Via};
use petrel_model::Arn;
use petrel_service::{Identity, Resource};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::error::ApiError;
use crate::request::snippet;

pub(crate) const OPS: &[Op] = &[rpc("SimulatePrincipalPolicy", simulate)];

fn bad_arn(arn: &str, why: &str) -> ApiError {
    ApiError::invalid(
        "ResourceArn",
        format!("resource arn `{}` {why}", snippet(arn)),
    )
}

/// The resource an ARN of the caller's account names.
pub(crate) fn resource_of(arn_text: &str, account: &str) -> Result<Resource, ApiError> {
    let arn = Arn::parse(arn_text).map_err(|e| bad_arn(arn_text, &e.to_string()))?;
    let system_policy = arn.service() == "ram" && arn.account() == "system";
    if arn.account() != account && arn.account() != "*" && !system_policy {
        return Err(bad_arn(
            arn_text,
            &format!("belongs to another account than the caller's (`{account}`)"),
        ));
    }
    let rel = arn.relative();
    let parts: Vec<&str> = rel.split('/').collect();
    let resource = match (arn.service(), parts.as_slice()) {
        ("rocketmq", ["instance", "*"]) => Resource::AllInstances,
        ("rocketmq", ["instance", i]) => Resource::Instance((*i).to_owned()),
        ("rocketmq", ["instance", i, "topic", t]) => Resource::Topic {
            instance: (*i).to_owned(),
            topic: (*t).to_owned(),
        },
        ("rocketmq", ["instance", i, "consumergroup", g]) => Resource::ConsumerGroup {
            instance: (*i).to_owned(),
            group: (*g).to_owned(),
        },
        ("mq", _) => match rel.split_once('%') {
            // Topic and group ARNs are spelled alike on the data plane; both resolve the same.
            Some((i, t)) => Resource::MqTopic {
                instance: i.to_owned(),
                topic: t.to_owned(),
            },
            None => return Err(bad_arn(arn_text, "is not `acs:mq:*:*:{instance}%{name}`")),
        },
        ("ram", ["user", u]) => Resource::User((*u).to_owned()),
        ("ram", ["group", g]) => Resource::Group((*g).to_owned()),
        ("ram", ["policy", p]) if arn.account() == "system" => {
            Resource::SystemPolicy((*p).to_owned())
        }
        ("ram", ["policy", p]) => Resource::Policy((*p).to_owned()),
        ("ram", ["resourcegroup", rg]) => Resource::ResourceGroup((*rg).to_owned()),
        ("ram", ["*"]) => Resource::Account,
        _ => {
            return Err(bad_arn(
                arn_text,
                "is not an instance, topic, consumer group, user, group, policy or resource group",
            ));
        }
    };
    Ok(resource)
}

fn matched_json(m: &MatchedStatement) -> Value {
    let (scope, rg) = match &m.scope {
        Scope::Account => ("Account", None),
        Scope::ResourceGroup(id) => ("ResourceGroup", Some(id.clone())),
    };
    let (via, group) = match &m.via {
        Via::Direct => ("Direct", None),
        Via::Group(g) => ("Group", Some(g.clone())),
    };
    json!({
        "PolicyName": m.policy_name,
        "PolicyType": match m.policy_type { PolicyType::System => "System", PolicyType::Custom => "Custom" },
        "VersionId": m.version_id,
        "StatementIndex": m.statement_index + 1,
        "Sid": m.sid,
        "Scope": scope,
        "ResourceGroupId": rg,
        "Via": via,
        "GroupName": group,
    })
}

fn simulate(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let subject = p
        .opt("UserName")
        .map_or(Identity::Root, |u| Identity::User(u.to_owned()));
    let action = p.required("ActionName")?;
    let resource = resource_of(p.required("ResourceArn")?, &ctx.caller.account_id)?;
    let sim = ctx
        .service
        .simulate(ctx.caller, subject, action, resource)?;
    Ok(json!({
        "Allowed": sim.is_allowed(),
        "Decision": sim.decision.effect.as_str(),
        "BlockedByActivation": sim.blocked_by_activation,
        "Explanation": sim.decision.explain(),
        "Resource": sim.decision.resource.to_string(),
        "ResourceGroupId": sim.decision.resource_group,
        "MatchedStatement": sim.decision.matched.as_ref().map(matched_json),
    }))
}
