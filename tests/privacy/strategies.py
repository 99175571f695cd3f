"""TEMPORARY minimal strategies (replaced by the redaction branch's)."""

from hypothesis import strategies as st

_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@st.composite
def seeded_identifier(draw):
    kind = draw(st.sampled_from(["identity_code", "phone", "email", "iban"]))
    if kind == "identity_code":
        d, m, y, n = (
            draw(st.integers(1, 28)),
            draw(st.integers(1, 12)),
            draw(st.integers(0, 99)),
            draw(st.integers(2, 899)),
        )
        base = f"{d:02d}{m:02d}{y:02d}"
        return kind, f"{base}-{n:03d}{_CHECK[int(base + f'{n:03d}') % 31]}"
    if kind == "phone":
        return kind, f"040 {draw(st.integers(1000000, 9999999))}"
    if kind == "email":
        return kind, f"{draw(st.sampled_from(['maija', 'olli.k', 'anna']))}{draw(st.integers(1, 999))}@example.fi"
    return kind, "FI21 1234 5600 0007 85"
