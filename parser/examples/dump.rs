//! Prints a statement's detected kind and its grouped lines, page by page:
//! `cargo run -p cas-parser --example dump -- FILE.pdf PASSWORD`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, password] = args.as_slice() else {
        eprintln!("usage: dump FILE.pdf PASSWORD");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    match cas_parser::open(&bytes, password) {
        Ok(st) => {
            println!(
                "kind: {:?}, variant: {:?}, pages: {}",
                st.issuer,
                st.variant,
                st.pages.len()
            );
            for page in &st.pages {
                println!("--- page {} ---", page.number);
                for line in page.lines() {
                    println!("{:7.2} | {}", line.y, line.text());
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            std::process::exit(1);
        }
    }
}
