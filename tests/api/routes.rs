//! One route table: `cas_inbox::routes::ROUTES` (what the test front serves) is exactly the
//! router of functions/Cargo.toml (`cargo lambda watch`) and the HttpApi events of
//! template.yaml (deployments).

use crate::helpers::workspace_root;
use cas_inbox::routes::ROUTES;
use std::collections::BTreeSet;

type Table = BTreeSet<(String, String, String)>;

fn in_code() -> Table {
    ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.function.to_string(),
            )
        })
        .collect()
}

/// `"/path" = [{ method = "POST", function = "name" }]` lines of the router table.
fn in_cargo_toml() -> Table {
    let text = std::fs::read_to_string(workspace_root().join("functions/Cargo.toml")).unwrap();
    let quoted = |line: &str, key: &str| -> Option<String> {
        let at = line.find(&format!("{key} = \""))? + key.len() + 4;
        Some(line[at..].split('"').next()?.to_string())
    };
    text.lines()
        .skip_while(|l| l.trim() != "[package.metadata.lambda.watch.router]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter(|l| l.trim_start().starts_with('"'))
        .flat_map(|line| {
            let path = line.trim_start()[1..]
                .split('"')
                .next()
                .unwrap()
                .to_string();
            // One route per `{ … }` entry of the line's array.
            line.split('{')
                .skip(1)
                .filter_map(|entry| Some((quoted(entry, "method")?, quoted(entry, "function")?)))
                .map(|(method, function)| (method, path.clone(), function))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Each function's `Binary:` and the `Method:`/`Path:` of its HttpApi events.
fn in_template() -> Table {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let mut table = Table::new();
    let (mut binary, mut method) = (None::<String>, None::<String>);
    for line in text.lines().map(str::trim) {
        if let Some(b) = line.strip_prefix("Binary:") {
            binary = Some(b.trim().to_string());
        } else if let Some(m) = line.strip_prefix("Method:") {
            method = Some(m.trim().to_string());
        } else if let Some(p) = line.strip_prefix("Path:") {
            let function = binary.clone().expect("a Path belongs to a function");
            let method = method.take().expect("a Path follows its Method");
            table.insert((method, p.trim().to_string(), function));
        }
    }
    table
}

#[test]
fn the_route_table_in_code_is_the_one_in_cargo_toml_and_template_yaml() {
    let code = in_code();
    assert_eq!(code.len(), ROUTES.len(), "no route twice");
    assert_eq!(in_cargo_toml(), code, "functions/Cargo.toml's router");
    assert_eq!(in_template(), code, "template.yaml's HttpApi events");
}
