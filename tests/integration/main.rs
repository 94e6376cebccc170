//! The integration tests: every test here runs the real `mrwc` binary (or, for the property
//! tests, the library's runners) and checks what a user would see.

mod cluster;
mod counting;
mod documents;
mod errors;
mod generate;
mod languages;
mod memory;
mod online;
mod options;
mod outputs;
mod procs;
mod property;
mod regression;
mod reliability;
mod report;
mod streaming;
mod text;
mod util;
