//! `segur_mss_annuaire_search` against the local Annuaire Santé FHIR server of the
//! segur-mssante tests (`test-support/src/annuaire_server.rs`: HTTPS with a test CA made
//! at test time, API key enforced, one 429, two pages), as C calls it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::annuaire_server;
use segur_test_support::mail_servers;
mod support;

use segur::mss_annuaire::segur_mss_annuaire_search;
use segur::segur_result;
use std::ptr;
use support::take_json;

fn search(
    client: &str,
    roots: &str,
    key: &str,
    query: &str,
) -> Result<serde_json::Value, segur_result> {
    let mut out = ptr::null_mut();
    let r = segur_mss_annuaire_search(
        client.as_ptr().cast(),
        client.len(),
        roots.as_ptr(),
        roots.len(),
        key.as_ptr().cast(),
        key.len(),
        query.as_ptr().cast(),
        query.len(),
        &mut out,
    );
    if r == segur_result::Ok {
        Ok(take_json(out))
    } else {
        assert!(out.is_null(), "outputs are written only on success");
        Err(r)
    }
}

#[test]
fn search_by_name_and_rpps_with_paging_retry_and_kind_filter() {
    let pki = mail_servers::Pki::generate();
    let (port, log) = annuaire_server::annuaire_server(&pki.server_cert_pem, &pki.server_key_pem);
    let client = format!(
        r#"{{"base_url":"https://localhost:{port}/fhir/v2","max_retries":3,"backoff_ms":10}}"#
    );
    let roots = pki.ca_pem.as_str();

    // By name: the 429 is retried, both pages are followed, every kind is kept.
    let all = search(
        &client,
        roots,
        "test-key",
        r#"{"family":"MARTIN","given":"JEAN"}"#,
    )
    .unwrap();
    assert_eq!(
        all,
        serde_json::json!([
            {"address": "jean.martin@pharmacien.mssante.fr", "kind": "Personal",
             "red_list": false, "description": "BAL PER", "resource": "Practitioner/p1",
             "name": "MARTIN JEAN"},
            {"address": "robot@pharmacie.mssante.fr", "kind": "Applicative",
             "red_list": true, "description": "BAL APP", "resource": "Practitioner/p1",
             "name": "MARTIN JEAN"},
            {"address": "jean.martin@hopital.mssante.fr", "kind": "Organisational",
             "red_list": false, "description": "BAL ORG", "resource": "Practitioner/p2",
             "name": "MARTIN JEAN"},
        ])
    );
    let paths = log.lock().unwrap().clone();
    assert_eq!(paths.len(), 3, "429 retried, then two pages: {paths:?}");
    assert!(paths[0].contains("family=MARTIN&given=JEAN&_count=100"));

    // By RPPS, personal mailboxes only, with a page size.
    let client_20 = client.replace(r#""max_retries""#, r#""page_size":20,"max_retries""#);
    let per = search(
        &client_20,
        roots,
        "test-key",
        r#"{"rpps":"10001234565","kinds":["PER"]}"#,
    )
    .unwrap();
    assert_eq!(per.as_array().unwrap().len(), 1);
    assert_eq!(per[0]["kind"], "Personal");
    let paths = log.lock().unwrap().clone();
    assert!(
        paths
            .iter()
            .any(|p| p
                .contains("identifier=urn%3Aoid%3A1.2.250.1.71.4.2.1%7C810001234565&_count=20")),
        "{paths:?}"
    );

    // A refused API key, an unknown CA, a server that is not there: precise codes.
    let name = r#"{"family":"X"}"#;
    assert_eq!(
        search(&client, roots, "wrong", name),
        Err(segur_result::MssAnnuaireHttpStatus)
    );
    assert_eq!(
        search(&client, &pki.rogue_ca_pem, "test-key", name),
        Err(segur_result::MssTlsUnknownCa)
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = format!(r#"{{"base_url":"https://localhost:{closed_port}/fhir/v2"}}"#);
    assert_eq!(
        search(&nowhere, roots, "test-key", name),
        Err(segur_result::MssAnnuaireNetwork)
    );
}

#[test]
fn arguments_are_checked_before_any_request() {
    let roots = "not a certificate";
    let client = r#"{"base_url":"https://localhost:1/fhir/v2"}"#;
    let name = r#"{"family":"MARTIN"}"#;
    for (c, q, expected) in [
        (
            client,
            r#"{"family":"A","rpps":"10001234565"}"#,
            segur_result::InvalidParameter,
        ),
        (
            client,
            r#"{"given":"JEAN"}"#,
            segur_result::InvalidParameter,
        ),
        (
            client,
            r#"{"family":"A","kinds":["XYZ"]}"#,
            segur_result::InvalidParameter,
        ),
        (
            client,
            r#"{"rpps":"10001234566"}"#,
            segur_result::IdentifierCheckDigit,
        ),
        (
            client,
            r#"{"family":"A","unknown":1}"#,
            segur_result::InvalidJson,
        ),
        (r#"{"base_url":1}"#, name, segur_result::InvalidJson),
        (client, name, segur_result::MssCertificate),
    ] {
        assert_eq!(search(c, roots, "k", q), Err(expected), "{c} {q}");
    }
    let pki = mail_servers::Pki::generate();
    let http = r#"{"base_url":"http://localhost:1/fhir/v2"}"#;
    assert_eq!(
        search(http, &pki.ca_pem, "k", name),
        Err(segur_result::MssAnnuaire),
        "plain HTTP is refused"
    );
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_annuaire_search(
            ptr::null(),
            0,
            ptr::null(),
            0,
            ptr::null(),
            0,
            ptr::null(),
            0,
            &mut out
        ),
        segur_result::NullParameter
    );
    assert!(out.is_null());
}
