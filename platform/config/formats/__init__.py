"""One date format per language, the same in the top bar, tables and forms' read-only
text (Django's own English pairs "Dec. 2, 2026" with "12/02/2026"). Only what differs
from Django's formats for the language is named here; the rest falls through to them."""
