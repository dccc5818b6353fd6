"""Writes each encrypted fixture decrypted, with its streams inflated, as a parse_bytes seed.

Mutating an encrypted, deflated seed mostly garbles what the mutation touches; in a plain copy
a mutated byte is a mutated operator, number or string of the page content, so the fuzzer
reaches the content tokenizer, the text extraction and the readers. Needs pypdf (the fixture
generators' venv, .venv/). Usage: plain_seeds.py OUT_DIR FIXTURE.pdf:PASSWORD ...
"""

import io
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, StreamObject


def plain(pdf: bytes, password: str) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    if reader.is_encrypted:
        reader.decrypt(password)
    writer = PdfWriter(clone_from=reader)
    for i, obj in enumerate(writer._objects):
        if isinstance(obj, StreamObject) and "/Filter" in obj:
            inflated = DecodedStreamObject()
            for key, value in obj.items():
                if key not in ("/Filter", "/DecodeParms", "/Length"):
                    inflated[NameObject(key)] = value
            inflated.set_data(obj.get_data())
            writer._objects[i] = inflated
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for arg in sys.argv[2:]:
        path, password = arg.rsplit(":", 1)
        # The selector byte 2 (empty password) of fuzz_targets/parse_bytes.rs.
        (out / f"plain_{Path(path).stem}").write_bytes(b"\x02" + plain(Path(path).read_bytes(), password))


if __name__ == "__main__":
    main()
