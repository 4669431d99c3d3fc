//! The reference documentation names every scenario key and every output metric, so
//! the docs cannot silently fall behind the code.

use std::collections::BTreeSet;

use pbrsim::experiment::metrics;

use crate::common::repo;

fn doc(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn outputs_doc_names_every_metric() {
    let text = doc("docs/outputs.md");
    let names = metrics::SYSTEM
        .iter()
        .map(|m| m.name)
        .chain(metrics::PROVIDER.iter().map(|m| m.name))
        .chain(metrics::SERVICE.iter().map(|m| m.name))
        .chain(metrics::PRACTICE.iter().map(|m| m.name));
    let missing: Vec<&str> = names.filter(|n| !text.contains(&format!("`{n}`"))).collect();
    assert!(missing.is_empty(), "docs/outputs.md does not document: {missing:?}");
}

fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn scenario_doc_names_every_key() {
    let text = doc("docs/scenario.md");
    let mut all = BTreeSet::new();
    let mut files = vec![repo("tests/data/small.toml")];
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    for f in files {
        let loaded = pbrsim::scenario::load(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        keys(&serde_json::to_value(&loaded.scenario).unwrap(), &mut all);
    }
    let missing: Vec<&String> = all.iter().filter(|k| !text.contains(&format!("`{k}`"))).collect();
    assert!(missing.is_empty(), "docs/scenario.md does not document: {missing:?}");
}
