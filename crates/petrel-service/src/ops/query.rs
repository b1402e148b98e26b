//! Questions about permissions rather than resources: the policy simulator ("may P do A on R,
//! and which statement decides?") and its reverse, "who may do A on R?", which no peer offers.

use petrel_iam::Decision;

use crate::Service;
use crate::authorize::is_gated;
use crate::caller::{Caller, Identity};
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// The simulator's answer.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The policy engine's decision, with the statement that decided.
    pub decision: Decision,
    /// The action is refused before policies are consulted because the account has not
    /// activated the messaging service.
    pub blocked_by_activation: bool,
}

impl Simulation {
    /// Whether the request would be allowed.
    pub fn is_allowed(&self) -> bool {
        !self.blocked_by_activation && self.decision.is_allowed()
    }
}

/// The answer to "who may do A on R?".
#[derive(Debug, Clone)]
pub struct WhoCan {
    /// Principals (root first, then RAM users by name) that are allowed, each with the decision
    /// naming the statement that allows it.
    pub allowed: Vec<(Identity, Decision)>,
    /// The action is refused for everyone until the account activates the service.
    pub blocked_by_activation: bool,
}

impl Service {
    /// `ram:SimulatePrincipalPolicy`: the decision for `subject` (in the caller's account) on
    /// `action` and `resource`, without acting.
    pub fn simulate(
        &self,
        caller: &Caller,
        subject: Identity,
        action: &str,
        resource: Resource,
    ) -> Result<Simulation, ServiceError> {
        let need = Need::new("ram:SimulatePrincipalPolicy", Resource::Account);
        let authorizer = self.authorizer();
        self.observe(caller, &[need], |tx| {
            if let Identity::User(name) = &subject {
                tx.get_user(&caller.account_id, name)?;
            }
            let account = tx.get_account(&caller.account_id)?;
            let resolved = resource.resolve(tx, &self.config.region, &caller.account_id)?;
            let as_subject = Caller {
                account_id: caller.account_id.clone(),
                identity: subject,
                context: caller.context.clone(),
            };
            let decision = authorizer.decide(tx, &as_subject, action, &resolved)??;
            Ok(Simulation {
                decision,
                blocked_by_activation: is_gated(action) && !account.is_activated(),
            })
        })
    }

    /// Every principal of the caller's account that may do `action` on `resource`
    /// (`ram:SimulatePrincipalPolicy` on the account, since it reveals everyone's grants).
    pub fn who_can(
        &self,
        caller: &Caller,
        action: &str,
        resource: Resource,
    ) -> Result<WhoCan, ServiceError> {
        let need = Need::new("ram:SimulatePrincipalPolicy", Resource::Account);
        let authorizer = self.authorizer();
        self.observe(caller, &[need], |tx| {
            let account = tx.get_account(&caller.account_id)?;
            let resolved = resource.resolve(tx, &self.config.region, &caller.account_id)?;
            let mut allowed = Vec::new();
            let subjects = std::iter::once(Identity::Root).chain(
                tx.list_users(&caller.account_id)?
                    .into_iter()
                    .map(|u| Identity::User(u.name)),
            );
            for subject in subjects {
                let as_subject = Caller {
                    account_id: caller.account_id.clone(),
                    identity: subject.clone(),
                    context: caller.context.clone(),
                };
                let decision = authorizer.decide(tx, &as_subject, action, &resolved)??;
                if decision.is_allowed() {
                    allowed.push((subject, decision));
                }
            }
            Ok(WhoCan {
                allowed,
                blocked_by_activation: is_gated(action) && !account.is_activated(),
            })
        })
    }
}
