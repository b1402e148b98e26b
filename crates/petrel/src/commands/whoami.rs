//! `petrel whoami`: the account and identity an AccessKey signs as (`GetCallerIdentity`).

use super::Target;
use super::output::fields;

pub fn run(target: &Target) -> anyhow::Result<()> {
    let r = target.remote("whoami")?;
    let who = r.call(r.client.caller_identity())?;
    r.print(&who, || {
        fields(&[
            ("account", who.account_id.clone()),
            ("identity", who.identity_type.clone()),
            ("arn", who.arn.clone()),
            ("user id", who.user_id.clone()),
            ("endpoint", r.client.endpoint().to_string()),
            ("access key", r.client.access_key_id().to_owned()),
        ])
    })
}
