//! Service activation: accepting the terms of service opens the messaging actions of an account.

use petrel_meta::ActivationOutcome;

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;
use crate::{Service, TERMS_VERSION};

impl Service {
    /// Activates the messaging service for the caller's account, accepting the terms of
    /// service. Activating twice is harmless: the outcome says it already was.
    pub fn activate(&self, caller: &Caller) -> Result<ActivationOutcome, ServiceError> {
        let need = Need::new("ons:OpenOnsService", Resource::Account);
        self.change(caller, &[need], |tx| {
            Ok(tx.activate(&caller.account_id, TERMS_VERSION)?)
        })
    }

    /// Whether the caller's account has activated the messaging service (readable by anyone in
    /// the account: the console needs it to decide what to show).
    pub fn is_activated(&self, caller: &Caller) -> Result<bool, ServiceError> {
        Ok(self
            .catalog
            .read(|tx| Ok(tx.get_account(&caller.account_id)?.is_activated()))?)
    }
}
