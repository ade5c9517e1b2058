//! The pharmacist's vaccination note delivered to the DMP and read back, against the SDK's DMP
//! simulator started in this process (mutual TLS on 127.0.0.1, its own test PKI): TD0.2 (does
//! the patient have a DMP?), TD2.1 (feed), TD3.1 (find), TD3.2 (get), TD3.3 (mask). With a real
//! DMP, only the `dmp.toml` changes (endpoint, certificates, structure, homologation number).
//! Run: `cargo run -p segur-examples --example dmp_feed`.

use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::FindDocuments;
use segur_dmp::td33::ConfidentialityChange;
use segur_dmp_cda::build::{DocumentInput, examples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The simulator writes the dmp.toml a vendor would write for the real DMP.
    let simulator = Simulator::start(SimulatorOptions::default())?;
    let dir = std::env::temp_dir().join(format!("segur-dmp-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = DmpConfig::load(&simulator.write_config(&dir)?)?;
    let client = DmpClient::from_config(&config)?;
    println!("DMP simulator at {}", simulator.endpoint());

    // A VAC-NOTE for the qualified test identity of the builder's example input. The patient
    // sent to the DMP is the CDA's own recordTarget INS: it cannot differ from the document's.
    let input: DocumentInput = serde_json::from_value(
        examples::example_json("vaccination-note").ok_or("no VAC-NOTE example input")?,
    )?;
    let cda = input.build()?;
    let document = FeedDocument::from_cda(cda.as_bytes().to_vec(), &Default::default())?;
    let patient = *document.patient();

    let status = client.existence_test(&patient)?;
    println!("TD0.2: DMP {:?}", status.state);

    match client.feed(&document, None)? {
        FeedOutcome::Fed => println!("TD2.1: fed, uniqueId {}", document.unique_id()),
        other => println!("TD2.1: {other:?}"),
    }

    let found = client.find(&patient, &FindDocuments::default())?;
    for entry in &found {
        println!(
            "TD3.1: {} type {} status {} size {}",
            entry.unique_id,
            entry.type_code.as_deref().unwrap_or("?"),
            entry.status,
            entry.size.unwrap_or(0)
        );
    }

    let back = client.retrieve(&patient, document.unique_id())?;
    println!(
        "TD3.2: {} bytes, identical to what was fed: {}",
        back.bytes.len(),
        back.bytes == cda.as_bytes()
    );

    client.update_confidentiality(&patient, document.unique_id(), ConfidentialityChange::Mask)?;
    println!("TD3.3: masked to other professionals");

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
