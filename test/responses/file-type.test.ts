import assert from 'node:assert/strict';
import { detectFileType, zipEntryNames } from '../../src/responses/file-type';
import { DOCX, EXE, JPEG, PDF, PLAIN_ZIP, PNG, XLSX, zip } from './files';

describe('Evidence file types are detected from content', () => {
  it('When a file starts with a known signature, then its type is recognised', () => {
    assert.equal(detectFileType(PDF), 'pdf');
    assert.equal(detectFileType(PNG), 'png');
    assert.equal(detectFileType(JPEG), 'jpeg');
  });

  it('When a ZIP holds [Content_Types].xml and word/ or xl/ entries, then it is DOCX or XLSX', () => {
    assert.equal(detectFileType(DOCX), 'docx');
    assert.equal(detectFileType(XLSX), 'xlsx');
  });

  it('When a ZIP is not an Office document, or a file is an executable or text, then no type is recognised', () => {
    assert.equal(detectFileType(PLAIN_ZIP), undefined);
    assert.equal(detectFileType(zip({ 'word/document.xml': '<w:document/>' })), undefined);
    assert.equal(detectFileType(EXE), undefined);
    assert.equal(detectFileType(Buffer.from('just some text that claims to be a pdf')), undefined);
    assert.equal(detectFileType(Buffer.alloc(0)), undefined);
  });

  it('When a ZIP is truncated, then its entries cannot be read and it is refused', () => {
    assert.equal(zipEntryNames(DOCX.subarray(0, DOCX.length - 30)), undefined);
    assert.equal(detectFileType(DOCX.subarray(0, 40)), undefined);
  });
});
