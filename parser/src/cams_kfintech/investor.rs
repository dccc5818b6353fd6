//! The investor block both CAMS / KFintech statements print at the top left of page 1.

use super::furniture::is_furniture;
use crate::model::Investor;
use crate::pdf::Line;

/// The investor block sits left of this x on page 1; the notice to its right is not theirs.
const INVESTOR_COLUMN_MAX_X: f32 = 250.0;

/// The investor block at the top left of page 1, shared by the detailed and summary
/// statements: `Email Id:`, the name, address lines, optional `Phone …:` lines, `Mobile:`.
/// It starts at `Email Id:` and ends at `Mobile:`, so titles above and tables below stay out.
pub(super) fn investor_block(lines: &[Line]) -> Investor {
    let mut investor = Investor::default();
    let mut block = Vec::new();
    let mut started = false;
    for line in lines {
        let text = line.text_left_of(INVESTOR_COLUMN_MAX_X);
        if text == "PORTFOLIO SUMMARY" || text.starts_with("Date Transaction") {
            break;
        }
        if let Some(email) = text.strip_prefix("Email Id:") {
            investor.email = Some(email.trim().to_string());
            started = true;
            continue;
        }
        if !started || text.is_empty() || is_furniture(&text) {
            continue;
        }
        if let Some(mobile) = text.strip_prefix("Mobile:") {
            investor.mobile = Some(mobile.trim().to_string());
            break;
        }
        // `Phone Off:` / `Phone Res:` lines, often empty, are not part of the address.
        if !text.starts_with("Phone") {
            block.push(text);
        }
    }
    let mut rest = block.into_iter();
    investor.name = rest.next();
    let address: Vec<String> = rest.collect();
    investor.pincode = address
        .iter()
        .rev()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .map(String::from);
    if !address.is_empty() {
        investor.address = Some(address.join("\n"));
    }
    investor
}
