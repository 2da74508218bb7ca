//! The committed schema file keeps up with the code.

#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = lkn_api::schema_sdl();
    assert!(
        committed == current,
        "api/schema.graphql is out of date: run `cargo run -p lkn-api -- schema > api/schema.graphql` and commit it"
    );
}
