-- The statutory programs, version 1 (domain: "Inspections"). Administrators edit them as data (paju program edit,
-- PUT /api/programs/{code}); every edit is a new version and an inspection keeps the version it was filled with.

INSERT INTO program (code, department, subject_kind) VALUES
    ('playground-monthly', 'safety', 'playground'),
    ('playground-periodic', 'safety', 'playground'),
    ('facility-semiannual', 'safety', 'public_facility');

INSERT INTO program_version (program, version, created_by, definition) VALUES
('playground-monthly', 1, 'system:migration', $json$
{
  "name": "어린이놀이시설 월 안전점검",
  "statute": "어린이놀이시설 안전관리법 §14, 시행령 §11 (월 1회 이상, 관리주체)",
  "cadence": "monthly",
  "performer": "관리주체",
  "items": [
    {"id": "joints", "label": "연결상태", "type": "grade", "required": true,
     "prompts": ["볼트·나사 풀림", "연결부 흔들림", "그네 고리·체인 마모", "베어링 소음·흔들림"]},
    {"id": "wear", "label": "노후정도", "type": "grade", "required": true,
     "prompts": ["구조물 녹·부식", "바닥재 경화·패임", "충격흡수재 유실", "제조사 사용연한 경과"]},
    {"id": "deformation", "label": "변형상태", "type": "grade", "required": true,
     "prompts": ["구조물 휨·변형", "미끄럼틀 난간·활주면 변형", "끼임 틈새", "돌출물"]},
    {"id": "cleanliness", "label": "청결상태", "type": "grade", "required": true,
     "prompts": ["쓰레기·오물", "모래 오염", "배수 불량"]},
    {"id": "signs", "label": "안전수칙 등 표시상태", "type": "grade", "required": true,
     "prompts": ["안전수칙 표지판 훼손", "관리주체 연락처 표시", "연령 기준 표시"]},
    {"id": "ancillary", "label": "부대시설 파손상태 및 위험물질 존재 여부", "type": "grade", "required": true,
     "prompts": ["울타리·벤치·조명 파손", "유리 조각·날카로운 물건", "방치된 물건"]},
    {"id": "notes_per_equipment", "label": "기구별 특이사항", "type": "text", "required": false},
    {"id": "site_photo", "label": "전경 사진", "type": "photo", "required": false}
  ],
  "overall": {
    "required": true,
    "values": [
      {"value": "양호", "meaning": "이용자에게 위해·위험을 초래할 수 있는 요인이 없음"},
      {"value": "요주의", "meaning": "위해·위험 요인은 없으나, 제조사가 정한 사용연한이 지난 기구나 부품이 있음"},
      {"value": "요수리", "meaning": "틈새·헐거움·날카로운 모서리 등이 생길 우려가 있거나, 청결 불량, 표지 훼손"},
      {"value": "이용금지", "meaning": "틈새·헐거움·날카로운 모서리 등 위해 요인이 있거나, 이미 사고가 발생함 — 즉시 이용을 금지하고 보고"}
    ]
  }
}
$json$::jsonb),
('playground-periodic', 1, 'system:migration', $json$
{
  "name": "어린이놀이시설 정기시설검사",
  "statute": "어린이놀이시설 안전관리법 §12 (2년마다, 안전검사기관)",
  "cadence": "biennial",
  "performer": "안전검사기관",
  "items": [
    {"id": "result", "label": "검사 결과", "type": "grade", "required": true, "values": ["합격", "불합격"]},
    {"id": "inspected_on", "label": "검사일", "type": "date", "required": true},
    {"id": "valid_until", "label": "유효기간 만료일", "type": "date", "required": false},
    {"id": "body", "label": "안전검사기관", "type": "text", "required": true},
    {"id": "certificate", "label": "검사 합격증명서", "type": "photo", "required": false}
  ]
}
$json$::jsonb),
('facility-semiannual', 1, 'system:migration', $json$
{
  "name": "공중이용시설 반기 안전·보건 의무 이행 점검",
  "statute": "중대재해 처벌 등에 관한 법률 시행령 §10–§13 (반기 1회 이상, 소관 부서)",
  "cadence": "semiannual",
  "performer": "소관 부서",
  "items": [
    {"id": "statutory_inspections", "label": "시설물 관계 법령의 안전점검 실시", "type": "yesno", "required": true},
    {"id": "findings_fixed", "label": "점검 지적사항 조치 완료", "type": "yesno", "required": true},
    {"id": "annual_plan", "label": "연간 안전계획 수립·이행", "type": "yesno", "required": true},
    {"id": "people_budget", "label": "안전 인력·예산 확보", "type": "yesno", "required": true},
    {"id": "emergency", "label": "비상 대응 절차 (대피·출입 통제)", "type": "yesno", "required": true},
    {"id": "contractors", "label": "도급·용역·위탁 안전관리 점검 (연 1회 이상)", "type": "yesno", "required": true},
    {"id": "safety_grade", "label": "최근 안전등급", "type": "grade", "required": false, "values": ["A", "B", "C", "D", "E"],
     "appliesTo": ["bridge", "tunnel_underpass", "retaining_wall_slope", "water_sewer", "building"]},
    {"id": "fire_systems", "label": "소방시설 작동 점검", "type": "yesno", "required": true, "appliesTo": ["building", "library"]},
    {"id": "lighting_ventilation", "label": "조명·환기 설비 점검", "type": "yesno", "required": true, "appliesTo": ["tunnel_underpass"]},
    {"id": "load_limit", "label": "통행 하중 제한 표지", "type": "yesno", "required": false, "appliesTo": ["bridge"]},
    {"id": "evidence", "label": "증빙 서류", "type": "photo", "required": false},
    {"id": "notes_findings", "label": "지적사항", "type": "text", "required": false}
  ],
  "overall": {
    "required": true,
    "values": [
      {"value": "적정", "meaning": "의무가 이행되고 있음"},
      {"value": "보완 필요", "meaning": "이행되지 않은 의무가 있어 조치가 필요함"}
    ]
  }
}
$json$::jsonb);
