{ Test program of Segur.pas, compiled with Free Pascal in Delphi mode (fpc -Mdelphi) and run by
  scripts/test.d/50-ffi: calls the library exactly as a Delphi LGO would. }
program test_segur;

{$IFDEF FPC}
  {$MODE DELPHI}
{$ENDIF}
{$APPTYPE CONSOLE}

uses
  SysUtils, Math, Segur;

var
  Passed, Failed: Integer;

procedure Check(Cond: Boolean; const What: string);
begin
  if Cond then
    Inc(Passed)
  else
  begin
    Inc(Failed);
    WriteLn('FAILED: ', What);
  end;
end;

procedure CheckCode(Expected, Actual: TSegurResult; const What: string);
begin
  Check(Expected = Actual, What + ': expected ' + IntToStr(Expected) + ', got ' +
    IntToStr(Actual) + ' ' + string(segur_result_name(Actual)));
end;

const
  Traits: UTF8String = '{"birth_name":"d''Artagnan","given_names":["Pierre-Alain","Muriel"],' +
    '"sex":"M","birth_date":"1980-03-01","birth_place":"2B020"}';

{ A UTF8String from raw bytes: string literals with non-ASCII characters would be converted from
  the source code page, which differs between compilers and settings. }
function Utf8Bytes(const B: array of Byte): UTF8String;
begin
  SetLength(Result, Length(B));
  if Length(B) > 0 then
    Move(B[0], Result[1], Length(B));
end;

procedure TestGeneral;
begin
  Check(StrPas(segur_version) = 'segur/0.1.0', 'version');
  Check(SegurMessage(SEGUR_RESULT_INS_KEY_MISMATCH) = 'the key does not match the matricule',
    'result message');
  Check(StrPas(segur_result_name(SEGUR_RESULT_INS_NNP)) = 'INS_NNP', 'result name');
  Check(segur_result_is_ins_error(SEGUR_RESULT_INS_NNP), 'is ins error');
  Check(not segur_result_is_ins_error(SEGUR_RESULT_PANIC), 'is not ins error');
end;

procedure TestMatricule;
var
  Input: UTF8String;
  OutText: PAnsiChar;
  Key: Byte;
  Raised: Boolean;
  Buf: UTF8String;
  N: TSegurSize;
begin
  Input := '1 80 03 2B 020 401';
  CheckCode(SEGUR_RESULT_OK, segur_ins_matricule_check(SegurIn(Input), Length(Input), OutText),
    'check');
  Check(SegurTake(OutText) = '180032B02040123', 'canonical matricule');

  Input := '180032B02040124';
  OutText := nil;
  CheckCode(SEGUR_RESULT_INS_KEY_MISMATCH,
    segur_ins_matricule_check(SegurIn(Input), Length(Input), OutText), 'wrong key');
  Check(OutText = nil, 'no output on error');
  Check(SegurLastDetail = 'key mismatch: expected 23, found 24', 'detail');

  Raised := False;
  try
    SegurCheck(segur_ins_matricule_check(SegurIn(Input), Length(Input), OutText));
  except
    on E: ESegurError do
    begin
      Raised := (E.Code = SEGUR_RESULT_INS_KEY_MISMATCH) and (Pos('expected 23', E.Message) > 0);
    end;
  end;
  Check(Raised, 'SegurCheck raises ESegurError with the detail');

  { Without allocation, into a caller buffer. }
  Input := '1 80 03 2B 020 401';
  SetLength(Buf, 15);
  CheckCode(SEGUR_RESULT_OK, segur_ins_matricule_check_into(SegurIn(Input), Length(Input),
    PAnsiChar(Buf), Length(Buf), N), 'check into');
  SetLength(Buf, N);
  Check(Buf = '180032B02040123', 'check into buffer');

  Input := '180032B020401';
  CheckCode(SEGUR_RESULT_OK, segur_ins_matricule_key(SegurIn(Input), Length(Input), Key), 'key');
  Check(Key = 23, 'key value');

  Input := '180032B02040123';
  CheckCode(SEGUR_RESULT_OK, segur_ins_matricule_decode(SegurIn(Input), Length(Input), OutText),
    'decode');
  Check(Pos('"department":"2B"', string(SegurTake(OutText))) > 0, 'decoded department');
end;

procedure TestNamesAndIdentity;
var
  Input, Oid, Doc: UTF8String;
  OutText: PAnsiChar;
  Norm: PSegurNormalizer;
  Id: PSegurIdentity;
  Status: Cardinal;
begin
  { UTF-8 input, as a Delphi UTF8String holds it: d’Ærtagnan }
  Input := Utf8Bytes([Ord('d'), $E2, $80, $99, $C3, $86, Ord('r'), Ord('t'), Ord('a'), Ord('g'),
    Ord('n'), Ord('a'), Ord('n')]);
  CheckCode(SEGUR_RESULT_OK, segur_ins_normalize_name(SEGUR_NAME_KIND_BIRTH_NAME, SegurIn(Input),
    Length(Input), OutText), 'normalize');
  Check(SegurTake(OutText) = 'D''AERTAGNAN', 'normalized name');

  CheckCode(SEGUR_RESULT_OK, segur_ins_traits_normalize(SegurIn(Traits), Length(Traits), OutText),
    'traits');
  Check(Pos('"birth_name":"D''ARTAGNAN"', string(SegurTake(OutText))) > 0, 'normalized traits');

  CheckCode(SEGUR_RESULT_OK, segur_normalizer_new(5, Norm), 'normalizer');
  Input := 'abcdefgh';
  CheckCode(SEGUR_RESULT_INS_NAME_TOO_LONG, segur_normalizer_name(Norm, SEGUR_NAME_KIND_BIRTH_NAME,
    SegurIn(Input), Length(Input), OutText), 'too long');
  CheckCode(SEGUR_RESULT_INS_NAME_TOO_LONG, segur_normalizer_traits(Norm, SegurIn(Traits),
    Length(Traits), OutText), 'traits too long');
  segur_normalizer_free(Norm);

  Input := '180032B02040123';
  CheckCode(SEGUR_RESULT_OK, segur_ins_coherence(SegurIn(Input), Length(Input), SegurIn(Traits),
    Length(Traits), OutText), 'coherence');
  Check(SegurTake(OutText) = '[]', 'coherent');

  Oid := '1.2.250.1.213.1.4.8';
  CheckCode(SEGUR_RESULT_OK, segur_ins_check(SegurIn(Input), Length(Input), SegurIn(Oid),
    Length(Oid), OutText), 'ins');
  Check(Pos('"authority":"nir"', string(SegurTake(OutText))) > 0, 'ins authority');

  CheckCode(SEGUR_RESULT_OK, segur_identity_new(SegurIn(Traits), Length(Traits),
    SEGUR_IDENTITY_ATTRIBUTES_NONE, Id), 'identity');
  Check(segur_identity_may_call_insi(Id), 'may call INSi');
  CheckCode(SEGUR_RESULT_OK, segur_identity_record_insi_retrieval(Id, SegurIn(Input), Length(Input),
    SegurIn(Oid), Length(Oid), SegurIn(Traits), Length(Traits)), 'INSi retrieval');
  Doc := '"Passport"';
  CheckCode(SEGUR_RESULT_OK, segur_identity_record_document_check(Id, SegurIn(Doc), Length(Doc)),
    'document check');
  CheckCode(SEGUR_RESULT_OK, segur_identity_get_status(Id, Status), 'status');
  Check(Status = SEGUR_IDENTITY_STATUS_QUALIFIEE, 'qualified');
  Check(segur_identity_can_transmit_matricule(Id), 'can transmit');
  CheckCode(SEGUR_RESULT_OK, segur_identity_qualified_ins(Id, OutText), 'qualified ins');
  Check(Pos('180032B02040123', string(SegurTake(OutText))) > 0, 'qualified matricule');
  CheckCode(SEGUR_RESULT_OK, segur_identity_to_json(Id, OutText), 'to json');
  Input := SegurTake(OutText);
  segur_identity_free(Id);
  CheckCode(SEGUR_RESULT_OK, segur_identity_from_json(SegurIn(Input), Length(Input), Id),
    'from json');
  CheckCode(SEGUR_RESULT_OK, segur_identity_mark(Id, SEGUR_IDENTITY_ATTRIBUTES_DOUTEUSE), 'mark');
  Check(not segur_identity_may_call_insi(Id), 'doubtful blocks INSi');
  segur_identity_free(Id);
end;

procedure TestInsiAndIds;
var
  Input: UTF8String;
  OutText: PAnsiChar;
begin
  Input := '<x/>';
  CheckCode(SEGUR_RESULT_INSI_NO_RESULT, segur_insi_parse_response(SegurIn(Input), Length(Input),
    OutText), 'INSi no result');
  Input := '01234567897';
  CheckCode(SEGUR_RESULT_OK, segur_national_id(SEGUR_IDENTIFIER_KIND_RPPS, SegurIn(Input),
    Length(Input), OutText), 'rpps');
  Check(Pos('"extension":"801234567897"', string(SegurTake(OutText))) > 0, 'rpps national id');
end;

procedure TestDocuments;
var
  Input, Xml, Opts: UTF8String;
  OutText: PAnsiChar;
  Zip, Doc: PByte;
  ZipLen, DocLen: TSegurSize;
  Pkg: PSegurXdmPackage;
begin
  Input := 'vaccination-note';
  CheckCode(SEGUR_RESULT_OK, segur_cda_example(SegurIn(Input), Length(Input), OutText),
    'example');
  Input := SegurTake(OutText);
  CheckCode(SEGUR_RESULT_OK, segur_cda_build(SegurIn(Input), Length(Input), OutText), 'build');
  Xml := SegurTake(OutText);
  CheckCode(SEGUR_RESULT_OK, segur_cda_validate(PByte(SegurIn(Xml)), Length(Xml), OutText),
    'validate');
  Check(SegurTake(OutText) = '[]', 'no finding');
  Opts := '{"source_id":"1.2.250.1.999.1.1","sender":{"organization":"Pharmacie du Centre",'
    + '"contact":"pharmacie.centre@test.mssante.fr"}}';
  CheckCode(SEGUR_RESULT_OK, segur_xdm_pack(PByte(SegurIn(Xml)), Length(Xml), nil, 0,
    SegurIn(Opts), Length(Opts), Zip, ZipLen), 'pack');
  CheckCode(SEGUR_RESULT_OK, segur_xdm_unpack(Zip, ZipLen, Pkg), 'unpack');
  segur_bytes_free(Zip, ZipLen);
  Check(segur_xdm_package_count(Pkg) = 1, 'one document');
  CheckCode(SEGUR_RESULT_OK, segur_xdm_package_document(Pkg, 0, Doc, DocLen), 'document');
  Check((DocLen = TSegurSize(Length(Xml))) and CompareMem(Doc, SegurIn(Xml), DocLen),
    'document bytes');
  segur_xdm_package_free(Pkg);
  Input := '<html/>';
  CheckCode(SEGUR_RESULT_CDA_NOT_CDA, segur_cda_read(PByte(SegurIn(Input)), Length(Input),
    OutText), 'not a CDA');
end;

procedure TestCodes;
var
  Input, Payload: UTF8String;
  OutText: PAnsiChar;
  Pixels: PByte;
  PixelsLen: TSegurSize;
  Width, Height, Kind: Cardinal;
begin
  Input := ' ORDO 2025 000123 ';
  CheckCode(SEGUR_RESULT_OK, segur_prescription_id_read(SegurIn(Input), Length(Input), True,
    OutText), 'prescription number typed by hand');
  Check(SegurTake(OutText) = 'ORDO2025000123', 'grouping spaces removed');
  Input := 'ORDO#1';
  CheckCode(SEGUR_RESULT_EP_PRESCRIPTION_ID, segur_prescription_id_read(SegurIn(Input),
    Length(Input), False, OutText), 'prescription number refused');
  Input := '{"traits":{"birth_name":"ECETINSI","given_names":["PIERRE-ALAIN"],' +
    '"first_given_name":"PIERRE-ALAIN","sex":"M","birth_date":"2009-07-14",' +
    '"birth_place":"63220","used_name":null,"used_given_name":null},"state":{"Qualifiee":' +
    '{"ins":{"matricule":"109076322083489","authority":"test-nir"},"evidence":"Passport",' +
    '"homonyme":false}}}';
  CheckCode(SEGUR_RESULT_OK, segur_ins_datamatrix_build(SegurIn(Input), Length(Input),
    OutText), 'INS Data Matrix payload');
  Payload := SegurTake(OutText);
  Check(Copy(Payload, 1, 4) = 'IS01', 'INS Data Matrix header');
  CheckCode(SEGUR_RESULT_OK, segur_eprescription_payload_kind(PByte(SegurIn(Payload)),
    Length(Payload), Kind), 'payload kind');
  Check(Kind = SEGUR_PAYLOAD_KIND_INS_DATAMATRIX, 'INS Data Matrix recognised');
  CheckCode(SEGUR_RESULT_OK, segur_ins_datamatrix_parse(PByte(SegurIn(Payload)),
    Length(Payload), OutText), 'INS Data Matrix parsed');
  Check(Pos('"matricule":"109076322083489"', string(SegurTake(OutText))) > 0,
    'INS Data Matrix matricule');
  CheckCode(SEGUR_RESULT_OK, segur_code_render(1, SegurIn(Payload), Length(Payload), 2, Pixels,
    PixelsLen, Width, Height), 'Data Matrix drawn');
  Check((Width > 0) and (PixelsLen = TSegurSize(Width) * Height), 'pixel count');
  segur_bytes_free(Pixels, PixelsLen);
  CheckCode(SEGUR_RESULT_OK, segur_code_render_png(1, SegurIn(Payload), Length(Payload), 2,
    Pixels, PixelsLen), 'Data Matrix as PNG');
  CheckCode(SEGUR_RESULT_OK, segur_eprescription_decode_image(Pixels, PixelsLen, OutText),
    'PNG decoded');
  Check(Pos('"symbology":"datamatrix"', string(SegurTake(OutText))) > 0, 'PNG read back');
  segur_bytes_free(Pixels, PixelsLen);
  Input := 'XX04';
  CheckCode(SEGUR_RESULT_EP_TWO_D_DOC_HEADER, segur_twoddoc_parse(PByte(SegurIn(Input)),
    Length(Input), OutText), '2D-Doc header refused');
end;

procedure TestMssCredentials;
var
  Creds: PSegurMssCredentials;
  Input, Conn, Opts: UTF8String;
  OutText: PAnsiChar;
begin
  CheckCode(SEGUR_RESULT_OK, segur_mss_credentials_new(Creds), 'credentials handle');
  Input := 'not a certificate';
  CheckCode(SEGUR_RESULT_MSS_CERTIFICATE, segur_mss_credentials_set_roots_pem(Creds,
    PByte(SegurIn(Input)), Length(Input)), 'PEM without certificate refused');
  Input := 'two words';
  CheckCode(SEGUR_RESULT_MSS_TOKEN_MALFORMED, segur_mss_credentials_set_token(Creds,
    SegurIn(Input), Length(Input)), 'token outside b64token refused');
  Input := 'psc-access-token';
  CheckCode(SEGUR_RESULT_OK, segur_mss_credentials_set_token(Creds, SegurIn(Input),
    Length(Input)), 'token set');
  Conn := '{"host":"127.0.0.1","port":1}';
  Opts := '{"from":"pharma@test.mssante.fr","nil":"NIL","to":["doc@test.mssante.fr"],' +
    '"subject":"s"}';
  OutText := nil;
  CheckCode(SEGUR_RESULT_INVALID_PARAMETER, segur_mss_send(SegurIn(Conn), Length(Conn), Creds,
    SegurIn(Opts), Length(Opts), nil, 0, OutText), 'no trust anchors: refused before connecting');
  Check(OutText = nil, 'no output on error');
  segur_mss_credentials_free(Creds);
  segur_mss_credentials_free(nil);
end;

procedure TestAccess;
var
  Dir, Db, KeyFile, Cheap, Name, Role, Pw, Uri: UTF8String;
  Access: PSegurAccess;
  OutText: PAnsiChar;
begin
  Dir := UTF8String(GetTempDir(False)) + 'segur-pascal-' + UTF8String(IntToStr(GetProcessID));
  ForceDirectories(string(Dir));
  Db := Dir + '/officine.db';
  KeyFile := Dir + '/officine.key';
  Cheap := '{"argon2":{"memory_kib":1024,"iterations":1,"parallelism":1}}';
  Access := nil;
  CheckCode(SEGUR_RESULT_OK, segur_access_init(SegurIn(Db), Length(Db), SegurIn(KeyFile),
    Length(KeyFile), nil, 0, SegurIn(Cheap), Length(Cheap), Access), 'access init');
  Name := 'marie';
  Role := 'titulaire';
  Pw := 'Correct-Horse-Battery-9';
  CheckCode(SEGUR_RESULT_OK, segur_access_user_add(Access, SegurIn(Name), Length(Name),
    SegurIn(Role), Length(Role), SegurIn(Pw), Length(Pw)), 'access user add');
  Role := 'chef';
  CheckCode(SEGUR_RESULT_ACCESS_UNKNOWN_ROLE, segur_access_user_add(Access, SegurIn(Name),
    Length(Name), SegurIn(Role), Length(Role), SegurIn(Pw), Length(Pw)), 'unknown role');
  OutText := nil;
  CheckCode(SEGUR_RESULT_OK, segur_access_totp_enroll(Access, SegurIn(Name), Length(Name),
    OutText), 'totp enroll');
  Uri := UTF8String(StrPas(OutText));
  segur_access_secret_free(OutText);
  Check(Pos('otpauth://totp/segur:marie?secret=', string(Uri)) = 1, 'otpauth URI');
  Role := 'dispense';
  Pw := '0000000000000000000000000000000000000000000000000000000000000000';
  CheckCode(SEGUR_RESULT_ACCESS_UNKNOWN_SESSION, segur_access_check(Access, SegurIn(Pw),
    Length(Pw), SegurIn(Role), Length(Role)), 'unknown session');
  segur_access_free(Access);
  OutText := nil;
  CheckCode(SEGUR_RESULT_OK, segur_access_audit_verify(SegurIn(Db), Length(Db), OutText),
    'audit verify');
  Check(Pos('"entries":', string(SegurTake(OutText))) > 0, 'audit report');
  DeleteFile(string(Db));
  DeleteFile(string(Db) + '-wal');
  DeleteFile(string(Db) + '-shm');
  DeleteFile(string(KeyFile));
  RemoveDir(string(Dir));
end;

{ The portability export and import of an empty store: the declarations of Segur.pas called
  as a Delphi LGO would (argument order, out parameters, result codes). }
procedure TestStore;
var
  Dir, Options, OutPath, Missing: UTF8String;
  Store: PSegurStore;
  OutText: PAnsiChar;
begin
  Dir := UTF8String(GetTempDir(False)) + 'segur-pascal-store-' +
    UTF8String(IntToStr(GetProcessID));
  Store := nil;
  CheckCode(SEGUR_RESULT_OK, segur_store_open(SegurIn(Dir), Length(Dir), Store), 'store open');
  OutPath := Dir + '/export.zip';
  Options := '{"since":"2026-02-30"}';
  OutText := nil;
  CheckCode(SEGUR_RESULT_STORE_EXPORT_OPTIONS, segur_store_export(Store, SegurIn(Options),
    Length(Options), SegurIn(OutPath), Length(OutPath), OutText), 'export bad date');
  Check(OutText = nil, 'no report on error');
  Check(Pos('since', string(SegurLastDetail)) > 0, 'export detail names the field');
  Options := '{"vendor":{"denomination":"Editeur","siret":"73282932000074",' +
    '"contact_name":"Support","software":"lgo 1.0","source_id":"1.2.250.1.999.1",' +
    '"local_id_root":"1.2.250.1.999.1.2"}}';
  CheckCode(SEGUR_RESULT_OK, segur_store_export(Store, SegurIn(Options), Length(Options),
    SegurIn(OutPath), Length(OutPath), OutText), 'export');
  Check(Pos('"lots":0', string(SegurTake(OutText))) > 0, 'export report');
  Check(FileExists(string(OutPath)), 'export written');
  Missing := Dir + '/missing.zip';
  OutText := nil;
  CheckCode(SEGUR_RESULT_STORE_ARCHIVE_UNREADABLE, segur_store_import(Store, SegurIn(Missing),
    Length(Missing), OutText), 'import missing file');
  Missing := Dir + '/store.sqlite';
  CheckCode(SEGUR_RESULT_STORE_ARCHIVE_REFUSED, segur_store_import(Store, SegurIn(Missing),
    Length(Missing), OutText), 'import not a zip');
  Check(OutText = nil, 'no import report on error');
  segur_store_free(Store);
  DeleteFile(string(OutPath));
  DeleteFile(string(Dir) + '/store.sqlite');
  DeleteFile(string(Dir) + '/store.sqlite-wal');
  DeleteFile(string(Dir) + '/store.sqlite-shm');
  RemoveDir(string(Dir));
end;

{ The DMP button URL and a missing configuration always; with a dmp.toml and a patient
  matricule as arguments (ffi/tests/c_dmp.rs runs it so against the DMP simulator), TD0.2
  status and TD3.1 find too. }
procedure TestDmp;
var
  Base, Page, Ins, Config, Missing: UTF8String;
  Client: PSegurDmpClient;
  OutText: PAnsiChar;
  Text: UTF8String;
begin
  Base := 'https://dmp.example';
  Page := 'DossierPatient';
  Ins := '279035121518989';
  OutText := nil;
  CheckCode(SEGUR_RESULT_OK, segur_dmp_web_url(SegurIn(Base), Length(Base), SegurIn(Page),
    Length(Page), SegurIn(Ins), Length(Ins), nil, 0, OutText), 'dmp web url');
  Check(SegurTake(OutText) = 'https://dmp.example/AccesDirect/DossierPatient/279035121518989',
    'dmp web url text');
  OutText := nil;
  CheckCode(SEGUR_RESULT_INVALID_PARAMETER, segur_dmp_web_url(SegurIn(Base), Length(Base),
    SegurIn(Page), Length(Page), nil, 0, nil, 0, OutText), 'dmp web url without patient');
  Check(OutText = nil, 'no url on error');
  Missing := '/nonexistent/dmp.toml';
  Client := nil;
  CheckCode(SEGUR_RESULT_DMP_CONFIG, segur_dmp_client_new(SegurIn(Missing), Length(Missing), 0,
    Client), 'dmp config missing');
  Check(segur_result_is_dmp_refusal(SEGUR_RESULT_DMP_CLOSED), 'closed is a refusal');
  if ParamCount < 2 then
    Exit;
  Config := UTF8String(ParamStr(1));
  Ins := UTF8String(ParamStr(2));
  CheckCode(SEGUR_RESULT_OK, segur_dmp_client_new(SegurIn(Config), Length(Config), 20000,
    Client), 'dmp client');
  OutText := nil;
  CheckCode(SEGUR_RESULT_OK, segur_dmp_client_status(Client, SegurIn(Ins), Length(Ins),
    OutText), 'dmp status');
  Text := SegurTake(OutText);
  Check(Pos('"state":"active"', string(Text)) > 0, 'dmp status active');
  OutText := nil;
  CheckCode(SEGUR_RESULT_OK, segur_dmp_client_find(Client, SegurIn(Ins), Length(Ins), nil, 0,
    SEGUR_DMP_STATUS_FILTER_ALL, OutText), 'dmp find');
  Text := SegurTake(OutText);
  Check(Copy(Text, 1, 1) = '[', 'dmp find array');
  segur_dmp_client_free(Client);
  WriteLn('DMP simulator: status and find');
end;

begin
  { The library, like any C library, runs with the IEEE 754 default of masked floating-point
    exceptions (the image decoder divides by zero into infinities); Delphi and Free Pascal
    unmask some by default, so a host masks them before calling it. }
  SetExceptionMask([exInvalidOp, exDenormalized, exZeroDivide, exOverflow, exUnderflow,
    exPrecision]);
  Passed := 0;
  Failed := 0;
  TestGeneral;
  TestMatricule;
  TestNamesAndIdentity;
  TestInsiAndIds;
  TestDocuments;
  TestCodes;
  TestMssCredentials;
  TestAccess;
  TestStore;
  TestDmp;
  WriteLn('test_segur: ', Passed, ' checks passed, ', Failed, ' failed');
  if Failed > 0 then
    Halt(1);
end.
