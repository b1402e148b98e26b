//! The policy parser must never panic, whatever the input; when a text parses, its canonical
//! printed form must parse back to the same document and print identically, and the high-risk
//! classifier must cope with whatever patterns the document holds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use petrel_iam::{PolicyDocument, classify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = PolicyDocument::parse(text) else {
        return;
    };
    let printed = doc.to_json_pretty();
    let again = match PolicyDocument::parse_unlimited(&printed) {
        Ok(again) => again,
        Err(e) => panic!("printed form does not parse: {e}\n{printed}"),
    };
    assert_eq!(again, doc, "print → parse changed the document");
    assert_eq!(
        again.to_json_pretty(),
        printed,
        "printing is not a fixed point"
    );
    let _ = classify(&doc);
});
