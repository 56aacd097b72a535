//! Checking real answers against an OpenAPI 3.1 document, for both servers' contract tests:
//! every `$ref` in it, and a JSON Schema validator for any part of it with its references
//! resolved and its objects made strict (a property the document does not name fails).

use serde_json::Value;

/// Every `$ref` in `value`, in document order.
pub fn refs(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    collect_refs(value, &mut out);
    out
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// `schema` made strict for checking: no object may carry a property its schema does not
/// name, so an answer field the document forgot fails too.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

/// A strict validator for `schema` (a part of `doc`), its references resolved in `doc`.
pub fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    let mut components = doc["components"].clone();
    strict(&mut root);
    strict(&mut components);
    let object = root.as_object_mut().expect("a schema object");
    object.insert("components".into(), components);
    jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{schema} compiles: {e}"))
}

/// Fails with every mismatch when `body` (the answer to `what`) does not match `schema`.
pub fn assert_matches(doc: &Value, what: &str, schema: &Value, body: &Value) {
    let errors: Vec<String> =
        validator(doc, schema).iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{what}: the answer does not match its schema:\n{}\n{body:#}",
        errors.join("\n")
    );
}
