//! lopdf's content decoder in this module's shapes, for tests that compare the two decoders.

use super::operation::{Operand, Operation, Span};

/// An operation decoded by lopdf, in this module's shape, so tests can check that the two
/// decoders give the interpreter the same operands.
pub(crate) struct LopdfOperation {
    operator: Vec<u8>,
    operands: Vec<Operand>,
    elements: Vec<Operand>,
    bytes: Vec<u8>,
}

impl LopdfOperation {
    pub(crate) fn new(op: &lopdf::content::Operation) -> Self {
        let mut out = LopdfOperation {
            operator: op.operator.as_bytes().to_vec(),
            operands: Vec::new(),
            elements: Vec::new(),
            bytes: Vec::new(),
        };
        for object in &op.operands {
            let operand = match object {
                lopdf::Object::Array(items) => {
                    let start = out.elements.len() as u32;
                    for item in items {
                        let element = match item {
                            lopdf::Object::Array(_) => Operand::Other,
                            other => out.convert(other),
                        };
                        out.elements.push(element);
                    }
                    let end = out.elements.len() as u32;
                    Operand::Array(Span { start, end })
                }
                other => out.convert(other),
            };
            out.operands.push(operand);
        }
        out
    }

    fn convert(&mut self, object: &lopdf::Object) -> Operand {
        use lopdf::Object;
        let mut keep = |bytes: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(bytes);
            Span {
                start,
                end: self.bytes.len() as u32,
            }
        };
        match object {
            Object::Integer(i) => Operand::Number(*i as f32),
            Object::Real(r) => Operand::Number(*r),
            Object::Name(n) => Operand::Name(keep(n)),
            Object::String(s, _) => Operand::String(keep(s)),
            Object::Boolean(b) => Operand::Bool(*b),
            Object::Null => Operand::Null,
            _ => Operand::Other,
        }
    }

    pub(crate) fn operation(&self) -> Operation<'_> {
        Operation {
            operator: &self.operator,
            operands: &self.operands,
            elements: &self.elements,
            bytes: &self.bytes,
        }
    }
}

/// An operation as text (operands decoded), for tests comparing decoders. `BI` is shown
/// without operands: lopdf gives it the image, which this module skips.
pub(crate) fn describe(op: &Operation) -> String {
    fn value(op: &Operation, operand: &Operand) -> String {
        match *operand {
            Operand::Name(s) => format!("/{}", String::from_utf8_lossy(op.bytes(s))),
            Operand::String(s) => format!("({:?})", op.bytes(s)),
            Operand::Array(s) => {
                let items: Vec<String> = op.elements(s).iter().map(|e| value(op, e)).collect();
                format!("[{}]", items.join(" "))
            }
            other => format!("{other:?}"),
        }
    }
    let operator = String::from_utf8_lossy(op.operator);
    if operator == "BI" {
        return operator.into_owned();
    }
    let operands: Vec<String> = op.operands.iter().map(|o| value(op, o)).collect();
    format!("{} {operator}", operands.join(" "))
}
