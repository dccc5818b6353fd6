"""Writes the parse_bytes seed corpus: each fixture behind the selector byte of the password
that opens it, and a decrypted copy with its streams inflated.

The selector (fuzz_targets/parse_bytes.rs): 0 = Demo@1234 (CAMS, KFintech), 1 = ABCDE1234F
(CDSL, NSDL), 2 = empty (unencrypted and owner-only files). Mutating an encrypted, deflated
seed mostly garbles what the mutation touches; in the plain copy a mutated byte is a mutated
operator, number or string of the page content, so the fuzzer reaches the content tokenizer,
the text extraction and the readers. Needs pypdf (the fixture generators' venv, .venv/); run.sh
falls back to the encrypted seeds, selector by file name, without it.

Usage: seeds.py OUT_DIR FIXTURE.pdf ...
"""

import io
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, StreamObject

PASSWORDS = ["Demo@1234", "ABCDE1234F", ""]


def opened(pdf: bytes) -> tuple[int, PdfReader]:
    """The selector of the password that opens `pdf`, and the opened reader."""
    for selector, password in enumerate(PASSWORDS):
        reader = PdfReader(io.BytesIO(pdf))
        if not reader.is_encrypted:
            return PASSWORDS.index(""), reader
        if reader.decrypt(password):
            return selector, reader
    raise ValueError("none of the fuzz target's passwords opens it")


def plain(reader: PdfReader) -> bytes:
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
    for path in map(Path, sys.argv[2:]):
        pdf = path.read_bytes()
        try:
            selector, reader = opened(pdf)
            plain_pdf = plain(reader)
        except Exception as e:  # a fixture pypdf cannot read still seeds as it is
            print(f"seeds.py: {path.name}: {e}; seeded encrypted, selector 0", file=sys.stderr)
            selector, plain_pdf = 0, None
        (out / path.stem).write_bytes(bytes([selector]) + pdf)
        if plain_pdf is not None:
            (out / f"plain_{path.stem}").write_bytes(bytes([PASSWORDS.index("")]) + plain_pdf)


if __name__ == "__main__":
    main()
