//! A statement laid out in memory written as a plain (unencrypted) PDF with lopdf: one
//! Helvetica text object per run, rotated runs drawn rotated. What `cas_parser::open` reads
//! back is the same runs, so in-memory statements can go through the CLI and the API too.

use cas_parser::Statement;
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

pub fn write(statement: &Statement) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for page in &statement.pages {
        let mut operations = Vec::new();
        for run in &page.runs {
            let matrix: [f32; 6] = if run.horizontal {
                [1.0, 0.0, 0.0, 1.0, run.x, run.y]
            } else {
                [0.0, 1.0, -1.0, 0.0, run.x, run.y]
            };
            operations.push(Operation::new("BT", vec![]));
            operations.push(Operation::new(
                "Tf",
                vec!["F1".into(), run.font_size.into()],
            ));
            operations.push(Operation::new(
                "Tm",
                matrix.iter().map(|&v| v.into()).collect(),
            ));
            operations.push(Operation::new(
                "Tj",
                vec![Object::string_literal(run.text.as_str())],
            ));
            operations.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations }.encode().expect("content encodes");
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("PDF writes");
    bytes
}
