//! Integration tests over real HTTP: moto and the Google sandbox run as processes; the
//! functions' handlers serve behind an API-Gateway-like front (and, in `lambda_watch`, under
//! `cargo lambda watch` itself).

mod callback;
mod code_flow;
mod connect;
mod credits;
mod helpers;
mod hostile_mail;
mod imports;
mod imports_scale;
mod imports_stack;
mod key_rotation;
mod lambda_watch;
mod lifecycle;
mod listing;
mod mailbox;
mod openapi;
mod parsing;
mod rate_limit;
mod routes;
mod security;
mod vendor_sdk;
