//! `petrel activate`: accept the terms of the message queue service for the account, which
//! opens its actions (ONS `OpenOnsService` remotely). Activating again is not an error.

use petrel_client::Activation;

use super::{Mode, Target};

pub fn run(target: &Target) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => {
            let outcome = s.service.activate(&s.root)?;
            let when = outcome.activation.activated_at;
            s.print(&outcome.activation, || {
                if outcome.already_activated {
                    format!("the service was already activated ({when})")
                } else {
                    format!(
                        "activated the message queue service, terms version {}",
                        outcome.activation.terms_version
                    )
                }
            })
        }
        Mode::Remote(r) => {
            let outcome = r.call(r.client.open_ons_service())?;
            r.print(&outcome, || match &outcome {
                Activation::Activated { order_id } => {
                    format!("activated the message queue service (order {order_id})")
                }
                Activation::AlreadyActivated { message } => {
                    format!("the service was already activated: {message}")
                }
            })
        }
    }
}
