// Korean text the apps show, in one place, so wording stays the same across screens.
export const roleNames = {
  admin: '관리자',
  operator: '상황실 운영자',
  inspector: '현장 점검원',
  managing_body: '관리주체',
  committee: '위원회 위원',
  viewer: '열람자',
};

export const text = {
  offline: '서버에 연결할 수 없습니다. 네트워크를 확인하세요.',
  signInNeeded: '로그인이 필요합니다.',
  forbidden: '이 작업을 할 권한이 없습니다.',
  tooMany: seconds => `시도가 너무 많습니다. ${seconds}초 뒤에 다시 해 보세요.`,
  httpError: status => `서버가 요청을 처리하지 못했습니다 (HTTP ${status}).`,
  health: state => state.status === 'ok' ? '정상' : `점검 필요: ${state.status}`,
};
