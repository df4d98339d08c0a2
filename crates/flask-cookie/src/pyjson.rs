//! JSON written the way Python's `json.dumps(..., separators=(",", ":"), sort_keys=True,
//! ensure_ascii=True)` writes it.

/// Append the Python-compatible JSON of `value` to `out`.
pub fn write_python_json(value: &serde_json::Value, out: &mut String) {
    let _ = (value, out);
    todo!()
}

/// A float as Python's `repr` writes it: `1.5`, `0.1`, `1e+16`, `1e-05`, `-0.0`, `100.0`.
pub fn python_float_repr(x: f64) -> String {
    let _ = x;
    todo!()
}
