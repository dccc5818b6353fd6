//! Which addresses are public: the rule behind every outbound connection a caller can aim
//! (`pdf_url` fetches, webhook deliveries), so SSRF defences agree on one list.

use std::net::{IpAddr, Ipv4Addr};

/// True for addresses the service must never connect to on a caller's behalf (a `pdf_url`, a
/// webhook): loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast,
/// documentation, unspecified and the like.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let segments = v6.segments();
            let first = segments[0];
            // IPv4-compatible `::a.b.c.d` (deprecated, still routed by some stacks).
            if segments[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && segments[1] == 0xff9b // NAT64 64:ff9b::/32 and 64:ff9b:1::/48
                || first == 0x2002 // 6to4 2002::/16 (embeds an IPv4 address)
                || first == 0x2001 && segments[1] == 0x0000 // Teredo 2001::/32 (tunnels IPv4)
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF 192.0.0/24
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18/15
        || a >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "::127.0.0.1",
            "::169.254.169.254",
            "::10.0.0.1",
            "2002:a9fe:a9fe::1",
            "2002:0808:0808::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "13.235.1.1", "2404:6800:4009::200e"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }
}
