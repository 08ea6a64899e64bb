/**
 * What each document fixture (fixtures/generate.ts) must give: shared by the unit tests of the
 * checks and the end-to-end tests through SMTP, so both hold the server to the same answers.
 */
import type { CheckOptions, DocumentCheck, DocumentRefusalCode } from '../../src/documents/check.js';

export interface Expected {
  name: string;
  code: DocumentRefusalCode;
  check: DocumentCheck;
  /** a piece of the message: it names the attachment, and the entry when there is one */
  says: string;
  options?: CheckOptions;
}

const DOC = 'entry "IHE_XDM/SUBSET01/DOC0001.XML"';

export const REFUSED: Expected[] = [
  { name: 'zip-bomb.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENTRY_SIZE', says: `${DOC}: the entry declares 1073741824 bytes` },
  { name: 'zip-bomb-lying-size.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_DECLARED_SIZE', says: `${DOC}: the entry inflates to more than the 4096 bytes it declares` },
  { name: 'zip-slip.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_SLIP', says: 'entry "../../evil.xml": the path leads outside the archive (zip-slip)' },
  { name: 'absolute-path.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ABSOLUTE_PATH', says: 'entry "/etc/evil.xml": the path is absolute' },
  { name: 'backslash-path.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_PATH', says: 'backslash' },
  { name: 'duplicate-names.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_DUPLICATE_NAME', says: `${DOC}: the name appears more than once` },
  { name: 'symlink.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_SYMLINK', says: 'entry "IHE_XDM/SUBSET01/LINK.XML": the entry is a symbolic link' },
  { name: 'too-many-entries.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENTRY_COUNT', says: 'the archive has 101 entries, more than the 100 allowed' },
  { name: 'bad-crc.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_CRC', says: `${DOC}: the entry fails its CRC-32 check` },
  { name: 'encrypted.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENCRYPTED', says: `${DOC}: the entry is encrypted` },
  { name: 'overlapping-entries.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_OVERLAP', says: 'overlapping entries' },
  { name: 'xdm-missing-readme.zip', code: 'INVALID_DOCUMENT', check: 'XDM_README', says: 'no README.TXT' },
  { name: 'xdm-missing-index.zip', code: 'INVALID_DOCUMENT', check: 'XDM_INDEX', says: 'no INDEX.HTM' },
  { name: 'xdm-missing-metadata.zip', code: 'INVALID_DOCUMENT', check: 'XDM_METADATA', says: 'no IHE_XDM/SUBSETnn/METADATA.XML' },
  { name: 'xdm-hash-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_HASH', says: `${DOC}: the SHA-1 hash of the file does not match` },
  { name: 'xdm-size-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_SIZE', says: `${DOC}: METADATA.XML gives a size of` },
  { name: 'xdm-missing-document.zip', code: 'INVALID_DOCUMENT', check: 'XDM_DOCUMENT_MISSING', says: 'points to "IHE_XDM/SUBSET01/DOC0001.XML", which is not in the archive' },
  { name: 'xdm-patient-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_PATIENT', says: 'the patientId in METADATA.XML is not the INS' },
  { name: 'xdm-type-code-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_TYPE_CODE', says: 'METADATA.XML gives the type code "11502-2" but the CDA says "57833-6"' },
  { name: 'xxe.zip', code: 'INVALID_DOCUMENT', check: 'XML_DOCTYPE', says: `${DOC}: the XML has a DOCTYPE declaration` },
  { name: 'billion-laughs.zip', code: 'INVALID_DOCUMENT', check: 'XML_DOCTYPE', says: `${DOC}: the XML has a DOCTYPE declaration` },
  { name: 'cda-no-typeid.zip', code: 'INVALID_DOCUMENT', check: 'CDA_TYPE_ID', says: 'the CDA has no typeId' },
  { name: 'cda-bad-loinc-system.zip', code: 'INVALID_DOCUMENT', check: 'CDA_CODE_SYSTEM', says: 'must use the LOINC code system 2.16.840.1.113883.6.1' },
  { name: 'cda-title-too-long.zip', code: 'INVALID_DOCUMENT', check: 'CDA_TITLE', says: 'the CDA title has 129 characters, more than the 128 allowed' },
  { name: 'cda-bad-version.zip', code: 'INVALID_DOCUMENT', check: 'CDA_VERSION', says: 'versionNumber "0" is not a positive integer' },
  { name: 'cda-invalid-ins.zip', code: 'INVALID_DOCUMENT', check: 'CDA_INS', says: 'the control key does not match' },
  { name: 'cda-bad-ins-oid.zip', code: 'INVALID_DOCUMENT', check: 'CDA_INS_OID', says: 'no identifier with an INS OID' },
  { name: 'cda-no-author.zip', code: 'INVALID_DOCUMENT', check: 'CDA_AUTHOR', says: 'no author/assignedAuthor' },
  { name: 'cda-no-custodian.zip', code: 'INVALID_DOCUMENT', check: 'CDA_CUSTODIAN', says: 'no custodian' },
  { name: 'fake-pdf.zip', code: 'INVALID_DOCUMENT', check: 'CDA_PDF', says: 'does not contain a PDF' },
  { name: 'wrong-patient.zip', code: 'WRONG_PATIENT', check: 'RECIPIENT_PATIENT', says: 'the document concerns another patient' },
  { name: 'two-patients.zip', code: 'WRONG_PATIENT', check: 'SINGLE_PATIENT', says: 'documents of several patients in one message', options: { citizenRecipient: false } },
  { name: 'invisible-patient.zip', code: 'INVALID_DOCUMENT', check: 'INVISIBLE_PATIENT', says: 'marked INVISIBLE_PATIENT (invisible to the patient)' },
  { name: 'not-a-pdf.pdf', code: 'FORBIDDEN_FORMAT', check: 'ATTACHMENT_FORMAT', says: 'the content is HTML' },
];

export const VALID = ['presc-n1.zip', 'bio-n3.zip', 'cr-v1.zip', 'cr-v2.zip', 'bare-cda.xml', 'masque-ps.zip', 'image.png', 'scan.jpg', 'note.txt'];
