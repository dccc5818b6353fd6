//! CAS Inbox Import: API models, domain logic, adapters and the Lambda handlers' translation.

pub mod adapters;
pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod handlers;
pub mod imports_lambda;
pub mod routes;
pub mod runtime;
