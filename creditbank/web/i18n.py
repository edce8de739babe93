"""The pages' two languages, 简体中文 and English: every string a page shows, by key, and
the choice of language (the ``lang`` cookie the switch sets, else ``Accept-Language``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
LANG_COOKIE = "creditbank_lang"

MESSAGES: dict[str, tuple[str, str]] = {  # key: (简体中文, English)
    "site": ("学分银行", "Credit bank"),
    "skip": ("跳到正文", "Skip to content"),
    "switch_to": ("English", "简体中文"),
    "nav_portal": ("我的学分", "My credits"),
    "nav_verify": ("验证证书", "Verify a certificate"),
    "nav_authority": ("主管部门", "Authority"),
    "nav_docs": ("API 文档", "API docs"),
    "home_title": ("职业技能学分银行", "The vocational credit bank"),
    "home_intro": (
        "每一项学分、资格和证书都记录在公开可验证的签名账本上。",
        "Every credit, eligibility and certificate is recorded on a signed ledger "
        "that anyone can verify.",
    ),
    "home_learner": ("学员：查看学分与进度", "Learners: see your credits and progress"),
    "home_employer": ("用人单位：验证证书", "Employers: verify a certificate"),
    "home_authority": ("主管部门：年度报告", "Authority: the year's report"),
    # verification
    "verify_title": ("验证证书", "Verify a certificate"),
    "verify_intro": (
        "输入证书编号。验证在您的浏览器中完成：页面下载证明包，自行检查账本签名和每一项证明。",
        "Enter the certificate number. The check runs in your browser: the page downloads "
        "the proof bundle and checks the ledger's signatures and every proof itself.",
    ),
    "certificate_number": ("证书编号", "Certificate number"),
    "verify_button": ("验证", "Verify"),
    "certificate": ("证书", "Certificate"),
    "holder": ("持有人账号", "Holder's account number"),
    "holder_note": ("（仅账号，不含个人信息）", "(account number only, no personal data)"),
    "standard": ("职业标准", "Standard"),
    "level": ("等级", "Level"),
    "issuer": ("发证机构", "Issuer"),
    "issued_at": ("发证日期", "Issue date"),
    "status": ("状态", "Status"),
    "status_active": ("有效", "Valid"),
    "status_revoked": ("已撤销", "Revoked"),
    "revoked_because": ("撤销原因", "Revoked because"),
    "server_says": (
        "服务器所述（浏览器验证前不可信）",
        "What the server says (not trusted until checked below)",
    ),
    "verdict": ("验证结论", "Verdict"),
    "verdict_pending": ("正在验证…", "Checking…"),
    "verdict_valid": ("有效", "VALID"),
    "verdict_revoked": ("已撤销", "REVOKED"),
    "verdict_invalid": ("无效", "INVALID"),
    "verdict_error": ("无法获取证明包", "The bundle could not be fetched"),
    "verdict_nojs": (
        "结论由本页脚本在浏览器中计算；请启用 JavaScript，或使用 creditbank verify-certificate。",
        "The verdict is computed by this page's script in your browser; enable JavaScript, "
        "or use creditbank verify-certificate.",
    ),
    "checks": ("逐项检查", "Each check"),
    "check_passed": ("通过", "passed"),
    "check_failed": ("未通过", "failed"),
    "credits_rest_on": ("证书所依据的学分（已验证）", "The credits it rests on (verified)"),
    "unit": ("单元", "Unit"),
    "credits": ("学分", "Credits"),
    "mode": ("方式", "Mode"),
    "course": ("课程", "Course"),
    "provider": ("培训机构", "Provider"),
    "completed_at": ("完成日期", "Completed"),
    "log_key": ("账本验证公钥", "The ledger's verifier key"),
    "fingerprint": ("指纹 (SHA-256)", "Fingerprint (SHA-256)"),
    "log_key_note": (
        "请与学分银行在其他渠道公布的公钥核对。",
        "Compare it with the key the bank publishes elsewhere.",
    ),
    "download_vc": ("下载为开放徽章 (VC)", "Download as Open Badge (VC)"),
    "bundle_json": ("证明包 (JSON)", "Proof bundle (JSON)"),
    # portal
    "signin_title": ("学员登录", "Learner sign-in"),
    "account_number": ("账号", "Account number"),
    "password": ("密码", "Password"),
    "signin_button": ("登录", "Sign in"),
    "signout": ("退出", "Sign out"),
    "first_time": ("首次使用？激活账户", "First time? Activate your account"),
    "activate_title": ("激活账户", "Activate your account"),
    "activation_code": ("激活码", "Activation code"),
    "id_number": ("身份证件号码", "ID number"),
    "new_password": (
        "新密码（至少 10 位，字母与数字混合）",
        "New password (10 characters or more, letters with digits)",
    ),
    "activate_button": ("激活", "Activate"),
    "activated": ("账户已激活，请登录。", "Your account is active: sign in."),
    "dashboard": ("概览", "Overview"),
    "history": ("记录与回执", "History and receipts"),
    "certificates": ("证书与奖励", "Certificates and rewards"),
    "my_data": ("我的数据", "My data"),
    "credits_per_standard": ("各标准学分", "Credits per standard"),
    "active_credits": ("有效学分", "Active credits"),
    "expired": ("已过期", "Expired"),
    "revoked": ("已撤销", "Revoked"),
    "no_credits": ("还没有学分。", "No credits yet."),
    "progress": ("等级进度", "Progress toward each level"),
    "of_required": ("{counted} / {required} 学分", "{counted} of {required} credits"),
    "eligible": ("已符合申请条件", "Eligible"),
    "missing_total": ("还差 {missing} 学分。", "{missing} credits still needed."),
    "missing_unit": (
        "单元 {unit} 还需 {credits} 学分",
        "{credits} credits in unit {unit} still needed",
    ),
    "online_uncounted": (
        "线上学分最多计 {cap} 学分：您有 {extra} 线上学分暂不计入。",
        "online credits count up to {cap}: {extra} of your online credits do not count yet",
    ),
    "needs_lower": ("需先持有低一级证书", "a certificate of the level below is needed first"),
    "apply": ("申请证书", "Apply for the certificate"),
    "applied": ("申请已提交（账本条目 {index}）。", "Application filed (ledger entry {index})."),
    "completions": ("课程完成记录", "Completions"),
    "awards": ("学分授予", "Awards"),
    "outcome": ("结果", "Outcome"),
    "score": ("成绩", "Score"),
    "expires": ("有效期至", "Expires"),
    "receipt": ("回执", "Receipt"),
    "download_receipt": ("下载回执 (.tlog-proof)", "Download receipt (.tlog-proof)"),
    "receipt_note": (
        "回执可离线验证：creditbank verify 回执文件 --key 账本公钥",
        "Receipts verify offline: creditbank verify FILE --key LOG-KEY",
    ),
    "applications": ("证书申请", "Applications"),
    "applied_at": ("申请日期", "Applied"),
    "no_certificates": ("还没有证书。", "No certificates yet."),
    "share_link": ("分享链接", "Share link"),
    "qr_alt": ("指向公开验证页面的二维码", "QR code to the public verification page"),
    "rewards": ("奖励", "Rewards"),
    "amount": ("金额（元）", "Amount (yuan)"),
    "no_rewards": ("还没有奖励。", "No rewards yet."),
    "export": ("导出我的数据 (JSON)", "Export my data (JSON)"),
    "export_note": (
        "学分银行持有的关于您的一切：个人信息、登录信息和与您相关的全部账本条目。",
        "Everything the bank holds about you: personal data, sign-in details and every "
        "ledger entry that concerns you.",
    ),
    "erase": ("删除我的个人信息", "Erase my personal data"),
    "erase_confirm_title": ("确认删除", "Confirm erasure"),
    "erase_explain": (
        "您的姓名、证件号码和联系方式将被永久销毁（其密钥被删除），您将无法再登录。"
        "账本只记录账号，不含个人信息；账本是只增不改的，其中的条目（学分、证书）保留，"
        "并追加一条“账户已删除”记录。",
        "Your name, ID number and contact details are destroyed for good (their key is "
        "deleted) and you can no longer sign in. The ledger holds your account number "
        "only, never personal data; it is append-only, so its entries (credits, "
        "certificates) stay, and an 'account erased' entry is added.",
    ),
    "erase_button": ("确认永久删除", "Erase for good"),
    "cancel": ("取消", "Cancel"),
    "erased": ("您的个人信息已删除。", "Your personal data has been erased."),
    "lms_accounts": ("学习平台账户", "LMS accounts"),
    "lms_note": (
        "关联后，培训机构学习平台（LMS）发来的该账户课程完成记录计入您的学分。"
        "关联码由培训机构发给您，7 天内有效，只能使用一次。",
        "Once linked, the completions a provider's learning platform (LMS) sends for that "
        "account are credited to you. The provider gives you the link code; it is valid "
        "for 7 days and works once.",
    ),
    "lms_none": ("还没有关联的学习平台账户。", "No LMS account linked yet."),
    "lms_account": ("学习平台账户", "LMS account"),
    "linked_at": ("关联日期", "Linked"),
    "lms_remove": ("取消关联", "Remove"),
    "lms_link_title": ("关联学习平台账户", "Link an LMS account"),
    "lms_provider_id": ("培训机构编号", "Provider id"),
    "lms_code": ("关联码", "Link code"),
    "lms_link_button": ("关联", "Link"),
    "lms_linked": ("学习平台账户已关联。", "The LMS account is linked."),
    "lms_removed": (
        "已取消关联：该账户的完成记录不再计入您的学分。",
        "Link removed: that account's completions are no longer credited to you.",
    ),
    # authority
    "authority_signin": ("主管部门登录", "Authority sign-in"),
    "access_token": ("访问令牌", "Access token"),
    "token_note": (
        "使用 creditbank token create --actor authority 签发的令牌。",
        "Use a token issued with creditbank token create --actor authority.",
    ),
    "report_title": ("{year} 年度报告", "Report for {year}"),
    "year": ("年份", "Year"),
    "show": ("显示", "Show"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "certified_trainees": ("获证学员", "Certified trainees"),
    "advanced_certificates": ("高级证书", "Advanced-level certificates"),
    "by_month": ("每月发证数", "Certificates by month"),
    "by_standard": ("各标准发证数", "Certificates by standard"),
    "money": ("奖励与补贴（相对预算）", "Rewards and subsidies against budget"),
    "target": ("目标", "target"),
    "subsidies": ("培训补贴", "Subsidies"),
    "yuan": ("元", "yuan"),
    "no_program": ("该年度没有已发布的项目。", "No program published for that year."),
    # errors
    "error": ("出错了", "Something went wrong"),
    "error_401": ("需要登录", "Sign-in needed"),
    "error_403": ("无权访问", "Not allowed"),
    "error_404": ("未找到", "Not found"),
    "error_409": ("与现有记录冲突", "In conflict with what is recorded"),
    "error_413": ("内容过大", "Too large"),
    "error_422": ("输入有误或不符合规则", "Not accepted"),
    "error_503": ("暂时不可用", "Unavailable for now"),
    "csrf": ("表单已过期，请返回重试。", "The form expired: go back and try again."),
    "back": ("返回", "Back"),
}

LEVELS: dict[int, tuple[str, str]] = {  # the national vocational skill levels
    5: ("五级/初级工", "level 5, junior worker"),
    4: ("四级/中级工", "level 4, intermediate worker"),
    3: ("三级/高级工", "level 3, senior worker"),
    2: ("二级/技师", "level 2, technician"),
    1: ("一级/高级技师", "level 1, senior technician"),
}

STATUSES: dict[str, tuple[str, str]] = {  # applications' and rewards' statuses
    "pending": ("待评估", "waiting for assessment"),
    "assessed": ("已评估，待发证", "assessed, certificate to come"),
    "failed": ("评估未通过", "assessment not passed"),
    "issued": ("已发证", "certificate issued"),
    "pending_budget": ("等待预算", "waiting for budget"),
    "granted": ("已批准，待支付", "granted, to be paid"),
    "paid": ("已支付", "paid"),
    "cancelled": ("已取消", "cancelled"),
    "clawback_due": ("须退回", "to be paid back"),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "awarded": ("已授予学分", "credits awarded"),
    "not_passed": ("未通过（成绩低于要求）", "not passed (score below the minimum)"),
    "expired": ("已过期（完成太久之前）", "expired (completed too long ago)"),
    "already_credited": ("已计入过（同一单元重复）", "already credited (same unit before)"),
    "unit_cap_reached": ("单元学分已达上限", "the unit's credit cap is reached"),
    "retracted": ("已被培训机构撤回", "retracted by the provider"),
}


def choose(cookie: str | None, accept_language: str | None) -> Lang:
    """The language: the switch's cookie if set, else the first of zh/en the browser
    prefers (by ``Accept-Language`` quality), else Chinese."""
    if cookie in LANGS:
        return "zh" if cookie == "zh" else "en"
    best: tuple[float, Lang] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and quality > 0:
            lang: Lang = "zh" if primary == "zh" else "en"
            ranked = quality - position * 1e-6  # at equal quality, the earlier tag
            if best is None or ranked > best[0]:
                best = (ranked, lang)
    return "zh" if best is None else best[1]


def translator(lang: Lang) -> Callable[..., str]:
    """``t(key, **values)``: the message in ``lang``, with ``{name}`` values filled in."""
    column = LANGS.index(lang)

    def t(key: str, **values: object) -> str:
        text = MESSAGES[key][column]
        return text.format(**values) if values else text

    return t


def outcome(lang: Lang, code: str) -> str:
    """A completion's outcome (a reason code) in plain words, the code kept beside it."""
    words = OUTCOMES.get(code)
    return code if words is None else words[LANGS.index(lang)]


def level_name(lang: Lang, level: int) -> str:
    words = LEVELS.get(level)
    return str(level) if words is None else words[LANGS.index(lang)]


def status(lang: Lang, code: str) -> str:
    """An application's or reward's status in plain words."""
    words = STATUSES.get(code)
    return code if words is None else words[LANGS.index(lang)]
