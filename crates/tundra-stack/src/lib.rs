//! The Tundra interface: one IPv4 address on one device, dispatching frames in and out
//! through the link, IP and transport layers.
#![forbid(unsafe_code)]

pub mod device;

pub use device::{Device, Medium};
