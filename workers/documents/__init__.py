"""Documents the product hands out: PDF letters today (reports reuse the letterhead)."""
