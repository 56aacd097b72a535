//! `docs/openapi.json` documents exactly the routes the server has, each with its success
//! status, and every `$ref` in it resolves.

use std::collections::BTreeSet;

use loket::web::ROUTES;
use serde_json::Value;

fn document() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

#[test]
fn the_document_lists_exactly_the_routes_of_the_router() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in
            item.as_object().expect("path item").iter().filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(served.len(), ROUTES.len(), "ROUTES has no duplicates");
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not documented: {missing:?}; not served: {extra:?}");
}

#[test]
fn every_operation_documents_its_success_status_and_staff_routes_their_401() {
    let doc = document();
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{route:?} has responses"));
        assert!(
            responses.contains_key(&route.success.to_string()),
            "{} {} documents {}",
            route.method,
            route.path,
            route.success
        );
        let successes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        assert_eq!(successes, [&route.success.to_string()], "{route:?}: one success status");
        if route.access == loket::web::Access::Staff {
            assert!(responses.contains_key("401"), "{route:?} documents 401");
            assert!(op["security"].is_array(), "{route:?} documents its security");
        }
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap_or_default();
            assert!(
                route.path.contains(&format!("{{{name}}}")),
                "{route:?}: parameter {name} is in the path"
            );
        }
    }
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("local reference: {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
}
