// SPDX-License-Identifier: MIT
// vtap_bindgen.rs - libvtap from Rust through bindgen's bindings of
// <vtap/vtap.h> (tests/cli/test_bindgen.sh generates them): names, the
// options-struct pattern, and the Toeplitz hash of the first public RSS
// verification vector (66.9.149.187:2794 -> 161.142.100.80:1766, TCP/IPv4,
// the well-known key): 0x51ccc178.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(dead_code, deref_nullptr, improper_ctypes)]
include!(env!("VTAP_BINDINGS"));

use std::ffi::{CStr, CString};

fn main() {
    unsafe {
        let name = CStr::from_ptr(vtap_hash_report__name(2)).to_str().unwrap();
        assert_eq!(name, "tcpv4");
        let list = CString::new("tcpv4,udpv6_ex").unwrap();
        let mut types: u32 = 0;
        assert_eq!(vtap_hash_types__parse(list.as_ptr(), &mut types), 0);
        assert_eq!(types, VTAP_HASH_TYPE_TCPV4 | VTAP_HASH_TYPE_UDPV6_EX);

        let t = vtap_toeplitz__new(
            vtap_rss_default_key.as_ptr(),
            vtap_rss_default_key.len() as _,
            vtap_toeplitz_impl_VTAP_TOEPLITZ_AUTO,
        );
        assert!(!t.is_null());
        // src, dst, sport, dport in network order.
        let input: [u8; 12] = [66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6];
        let h = vtap_toeplitz__hash(t, input.as_ptr(), input.len() as _);
        vtap_toeplitz__free(t);
        assert_eq!(h, 0x51ccc178, "hash 0x{:08x}", h);

        // The options-struct pattern: sz first, the rest zero.
        let mut opts: vtap_rss_opts = std::mem::zeroed();
        opts.sz = std::mem::size_of::<vtap_rss_opts>() as _;
        opts.hash_types = VTAP_HASH_TYPE_ALL;
        let rss = vtap_rss__new(&opts);
        assert!(!rss.is_null());
        vtap_rss__free(rss);
    }
    println!("ok: libvtap from Rust through bindgen");
}
