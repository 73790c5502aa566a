"""When two typed addresses are one address: the key a rental house's address is compared on
(one house per address in a village or community). Pure functions, no Django.

A Chinese input method types full-width digits and letters (测试路９９号), people put spaces
where they like (测试路 99 号) and mix upper and lower case (A栋, a栋): all of these are one
address. The key is the address in Unicode compatibility form (NFKC: ９ is 9, Ａ is A, an
ideographic space a space), case-folded, without any white space or invisible format
character (zero-width spaces), and hashed, so that it fits its column however long the text
grows in that form (NFKC makes ㍿ four characters). The address itself is kept as typed."""

from __future__ import annotations

import hashlib
import unicodedata

#: the length of a key (a SHA-256 in hex)
KEY_LENGTH = 64


def comparable(address: str) -> str:
    """``address`` as it is compared: NFKC, case-folded, no white space or format character."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address).casefold())
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Cf")


def address_key(address: str) -> str:
    """The key of ``address`` (:func:`comparable`, hashed): equal for one address however typed."""
    return hashlib.sha256(comparable(address).encode()).hexdigest()
