//! Parsing `/start`, `/start <payload>` and `/start@bot <payload>` from a message text.
