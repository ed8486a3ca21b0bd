-- The file_hash of each received file (base64 SHA-256 from its credentials), which a website
-- names in setPassportDataErrors for that file.
ALTER TABLE passport_files ADD COLUMN file_hash TEXT;
