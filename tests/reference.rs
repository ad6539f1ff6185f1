//! docs/reference.md is generated from the JSON Schemas and must be fresh.

#[test]
fn field_reference_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md");
    let fresh = infrac::reference::render_reference();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/reference.md is stale: run `UPDATE_GOLDEN=1 cargo test --test reference`"
    );
}

#[test]
fn every_schema_field_is_described() {
    let text = infrac::reference::render_reference();
    let undocumented: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| `") && l.trim_end().ends_with("|  |"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields without a description:\n{}",
        undocumented.join("\n")
    );
}
