"""Synthetic document images for tests and the OCR benchmark (Pillow + Debian fonts-noto-cjk).

Every document comes with its ground truth: the key fields (normalised as the reader reports them) and the
printed text in reading order (for character accuracy). Variants: clean, or degraded by rotation, blur,
JPEG noise, low contrast; ID numbers and credit codes with a valid or a deliberately broken check digit.
All people, companies and addresses are invented.
"""

from __future__ import annotations

import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SANS_BOLD = FONT_DIR / "NotoSansCJK-Bold.ttc"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉海燕鹏飞晓东春梅子涵浩然欣怡"
ETHNICITIES = ("汉", "汉", "汉", "回", "满", "壮", "苗", "土家")
# (address prefix, county code) — real divisions, invented street numbers
DISTRICTS = (
    ("广东省广州市天河区", "440106"),
    ("广东省广州市海珠区", "440105"),
    ("广东省广州市越秀区", "440104"),
    ("广东省深圳市福田区", "440304"),
    ("广东省深圳市南山区", "440305"),
    ("北京市朝阳区", "110105"),
    ("上海市浦东新区", "310115"),
    ("浙江省杭州市西湖区", "330106"),
    ("四川省成都市武侯区", "510107"),
    ("福建省厦门市思明区", "350203"),
)
STREETS = ("体育西路", "中山大道", "新港中路", "解放北路", "人民南路", "科技园路", "建设路", "文三路", "滨江大道")
TRADES = ("青禾", "远航", "星河", "木棉", "云帆", "和润", "嘉禾", "锦程", "恒远", "泰和")
INDUSTRIES = ("软件", "餐饮管理", "商贸", "文化传播", "信息技术", "科技")
SCOPES = (
    "一般项目：软件开发；信息技术咨询服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；"
    "计算机系统服务；数据处理服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "一般项目：餐饮管理；食品销售（仅销售预包装食品）；日用百货销售。许可项目：餐饮服务。"
    "（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
)
_RIC_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CH = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DocKind = str


@dataclass
class GenDoc:
    kind: DocKind  # the doc_type the reader should report
    image: Image.Image
    truth: dict[str, str]  # key fields as the reader should report them
    text: str  # printed text in reading order, no spaces
    variant: str = "clean"
    valid_checksum: bool = True
    meta: dict[str, str] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)  # each printed line, for character accuracy

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG")
        return buf.getvalue()

    def jpeg(self, quality: int = 90) -> bytes:
        buf = io.BytesIO()
        self.image.convert("RGB").save(buf, format="JPEG", quality=quality)
        return buf.getvalue()


@lru_cache(maxsize=32)
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The Simplified-Chinese face of a Noto CJK collection (index 2; index 0 is Japanese, whose glyphs for
    some characters, e.g. 门, are not the ones printed on Chinese documents)."""
    return ImageFont.truetype(str(path), size, index=2)


# ------------------------------------------------------------------ identifiers


def ric(region: str, birth: date, seq: int, valid: bool = True) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _RIC_W, strict=True)) % 11]
    if not valid:
        check = "10X98765432"[("10X98765432".index(check) + 3) % 11]
    return body + check


def uscc(region: str, rng: random.Random, valid: bool = True) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "MA" + "".join(rng.choice(chars) for _ in range(6))
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    r = 11 - total % 11
    org = body + ("X" if r == 10 else "0" if r == 11 else str(r))
    code17 = "91" + region + org
    r31 = 31 - sum(_USCC_CH.index(c) * w for c, w in zip(code17, _USCC_W, strict=True)) % 31
    check = _USCC_CH[0 if r31 == 31 else r31]
    if not valid:
        check = _USCC_CH[(_USCC_CH.index(check) + 5) % 31]
    return code17 + check


def person(rng: random.Random) -> dict[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 44))
    sex = rng.choice("男女")
    seq = rng.randrange(1, 499) * 2 + (1 if sex == "男" else 0)
    prefix, code = rng.choice(DISTRICTS)
    addr = f"{prefix}{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2999)}房"
    return {
        "name": name, "sex": sex, "ethnicity": rng.choice(ETHNICITIES), "birth_date": birth.isoformat(),
        "address": addr, "region": code, "seq": str(seq),
    }  # fmt: skip


def premises(rng: random.Random) -> tuple[str, str]:
    prefix, code = rng.choice(DISTRICTS)
    return f"{prefix}{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(101, 2999)}室", code


# ------------------------------------------------------------------ drawing helpers


class Canvas:
    def __init__(self, w: int, h: int, bg: tuple[int, int, int] = (255, 255, 255)) -> None:
        self.img = Image.new("RGB", (w, h), bg)
        self.d = ImageDraw.Draw(self.img)
        self.text_parts: list[tuple[float, float, str]] = []

    def put(self, xy: tuple[float, float], text: str, size: int, *, f: Path = SANS, fill: str = "#111") -> float:
        """Draw text; returns its right edge."""
        ft = font(f, size)
        self.d.text(xy, text, font=ft, fill=fill)
        self.text_parts.append((xy[1], xy[0], text))
        return xy[0] + self.d.textlength(text, font=ft)

    def wrap(self, xy: tuple[float, float], text: str, size: int, width: float, gap: float = 1.45) -> float:
        """Draw text wrapped to ``width`` pixels; returns the y below the last line."""
        ft = font(SANS, size)
        x, y = xy
        line = ""
        for ch in text:
            if self.d.textlength(line + ch, font=ft) > width:
                self.put((x, y), line, size)
                y += size * gap
                line = ""
            line += ch
        if line:
            self.put((x, y), line, size)
            y += size * gap
        return y

    def parts(self) -> list[str]:
        return [t.replace(" ", "") for _, _, t in self.text_parts if t.strip()]

    def reading_text(self) -> str:
        parts = sorted(self.text_parts, key=lambda p: (round(p[0] / 12), p[1]))
        return "".join(t for _, _, t in parts).replace(" ", "")


def wrap_chunks(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)]


def cn_date(d: str) -> str:
    y, m, dd = d.split("-")
    return f"{int(y)}年{int(m)}月{int(dd)}日"


# ------------------------------------------------------------------ documents


def id_front(rng: random.Random, valid: bool = True) -> GenDoc:
    p = person(rng)
    birth = date.fromisoformat(p["birth_date"])
    num = ric(p["region"], birth, int(p["seq"]), valid)
    c = Canvas(856, 540, (236, 240, 236))
    c.d.rectangle((590, 70, 800, 330), fill=(205, 210, 215))  # photo
    lab, val = "#3a5f8a", "#111"
    c.put((60, 60), "姓名", 24, fill=lab)
    c.put((150, 56), p["name"], 30, fill=val)
    c.put((60, 125), "性别", 24, fill=lab)
    c.put((150, 121), p["sex"], 28, fill=val)
    c.put((260, 125), "民族", 24, fill=lab)
    c.put((350, 121), p["ethnicity"], 28, fill=val)
    c.put((60, 190), "出生", 24, fill=lab)
    c.put((150, 186), f"{birth.year}年{birth.month}月{birth.day}日", 28, fill=val)
    c.put((60, 255), "住址", 24, fill=lab)
    y = 251
    for chunk in wrap_chunks(p["address"], 13):
        c.put((150, y), chunk, 28, fill=val)
        y += 44
    c.put((60, 450), "公民身份号码", 24, fill=lab)
    c.put((260, 444), num, 32, fill=val)
    truth = {k: p[k] for k in ("name", "sex", "ethnicity", "birth_date", "address")} | {"id_number": num}
    return GenDoc("id_front", c.img, truth, c.reading_text(), parts=c.parts(), valid_checksum=valid)


def id_back(rng: random.Random, valid: bool = True) -> GenDoc:
    c = Canvas(856, 540, (236, 240, 236))
    c.d.ellipse((60, 50, 190, 180), outline=(190, 60, 60), width=6)  # emblem
    c.put((300, 70), "中华人民共和国", 44, f=SERIF)
    c.put((280, 160), "居民身份证", 64, f=SANS_BOLD)
    prefix, _ = rng.choice(DISTRICTS)
    city = prefix.split("省")[-1]
    authority = f"{city[:3]}公安局{city[3:]}分局" if len(city) > 3 else f"{city}公安局"
    start = date(2010, 1, 1) + timedelta(days=rng.randrange(0, 365 * 14))
    years = rng.choice((10, 20, 0))
    end = start.replace(year=start.year + years).isoformat() if years else "长期"
    c.put((130, 360), "签发机关", 24, fill="#3a5f8a")
    c.put((280, 356), authority, 28)
    c.put((130, 430), "有效期限", 24, fill="#3a5f8a")
    end_txt = end.replace("-", ".") if years else "长期"
    c.put((280, 426), f"{start:%Y.%m.%d}-{end_txt}", 28)
    truth = {"issuing_authority": authority, "valid_start": start.isoformat(), "valid_end": end}
    return GenDoc("id_back", c.img, truth, c.reading_text(), parts=c.parts())


def business_licence(rng: random.Random, valid: bool = True) -> GenDoc:
    prefix, code = rng.choice(DISTRICTS)
    city = prefix.split("省")[-1][:3]
    name = f"{city.rstrip('市')}{rng.choice(TRADES)}{rng.choice(INDUSTRIES)}有限公司"
    rep = person(rng)["name"]
    credit = uscc(code, rng, valid)
    capital = rng.choice((10, 50, 100, 200, 500))
    est = date(2005, 1, 1) + timedelta(days=rng.randrange(0, 365 * 19))
    addr, _ = premises(rng)
    scope = rng.choice(SCOPES)
    c = Canvas(1600, 1130, (250, 246, 238))
    c.d.rectangle((30, 30, 1570, 1100), outline=(180, 140, 60), width=8)
    c.put((640, 70), "营业执照", 80, f=SERIF, fill="#222")
    c.put((110, 230), "统一社会信用代码", 26)
    c.put((340, 228), credit, 28)
    lx, vx, rx, rvx = 110, 290, 860, 1040
    rows = [("名称", name), ("类型", "有限责任公司（自然人投资或控股）"), ("法定代表人", rep)]
    right = [("注册资本", f"人民币{capital}万元"), ("成立日期", cn_date(est.isoformat())), ("营业期限", "长期")]
    y = 320
    for (a, b), (r1, r2) in zip(rows, right, strict=True):
        c.put((lx, y), a, 26)
        c.put((vx, y), b, 26)
        c.put((rx, y), r1, 26)
        c.put((rvx, y), r2, 26)
        y += 70
    c.put((lx, y), "经营范围", 26)
    c.wrap((vx, y), scope, 24, 520)
    c.put((rx, y), "住所", 26)
    c.wrap((rvx, y), addr, 26, 460)
    c.put((1000, 980), "登记机关", 26)
    c.put((1180, 980), f"{city}市场监督管理局", 26)
    truth = {
        "credit_code": credit, "name": name, "legal_rep": rep, "registered_capital": f"{capital:g}",
        "established": est.isoformat(), "domicile": addr, "scope": scope,
    }  # fmt: skip
    return GenDoc("business_licence", c.img, truth, c.reading_text(), parts=c.parts(), valid_checksum=valid)


def lease_contract(rng: random.Random, valid: bool = True) -> GenDoc:
    lessor = f"{rng.choice(TRADES)}物业管理有限公司" if rng.random() < 0.5 else person(rng)["name"]
    lessee = person(rng)["name"]
    addr, code = premises(rng)
    area = f"{rng.randrange(20, 400)}.{rng.randrange(0, 10)}"
    start = date(2025, rng.randrange(1, 13), 1)
    end = date(start.year + rng.choice((1, 2, 3, 5)), start.month, 1) - timedelta(days=1)
    use = rng.choice(("办公", "商业", "餐饮", "仓储"))
    rent = rng.randrange(20, 200) * 100
    c = Canvas(1240, 1754)
    c.put((470, 90), "房屋租赁合同", 52, f=SERIF)
    x = 110
    c.put((x, 220), f"出租方（甲方）：{lessor}", 30)
    c.put((x, 280), f"承租方（乙方）：{lessee}", 30)
    y = c.wrap((x, 360), "甲乙双方根据《中华人民共和国民法典》及有关规定，经协商一致，订立本合同。", 28, 1020)
    y += 20
    c.put((x, y), f"一、房屋坐落：{addr}", 28)
    c.put((x, y + 60), f"二、建筑面积：{area}平方米", 28)
    c.put((x, y + 120), f"三、房屋用途：{use}", 28)
    c.put((x, y + 180), f"四、租赁期限：自{cn_date(start.isoformat())}起至{cn_date(end.isoformat())}止", 28)
    c.put((x, y + 240), f"五、租金：每月人民币{rent}元，按月支付。", 28)
    y = c.wrap(
        (x, y + 320),
        "六、乙方应按约定用途使用房屋，不得擅自转租。合同期满，乙方如需续租，应提前一个月书面通知甲方。",
        28,
        1020,
    )
    c.put((x, y + 120), "甲方（签章）：", 28)
    c.put((680, y + 120), "乙方（签章）：", 28)
    truth = {
        "lessor": lessor, "lessee": lessee, "address": addr, "area": area, "use": use,
        "term_start": start.isoformat(), "term_end": end.isoformat(),
    }  # fmt: skip
    return GenDoc("lease_contract", c.img, truth, c.reading_text(), parts=c.parts(), meta={"district_code": code})


def property_certificate(rng: random.Random, valid: bool = True) -> GenDoc:
    owner = person(rng)["name"]
    addr, code = premises(rng)
    area = f"{rng.randrange(40, 300)}.{rng.randrange(10, 99)}"
    unit = f"{code}{rng.randrange(100, 999)}GB{rng.randrange(10000, 99999)}F{rng.randrange(10000000, 99999999)}"
    start = date(1995, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
    end = start.replace(year=start.year + rng.choice((40, 50, 70))) - timedelta(days=1)
    c = Canvas(1200, 1500, (252, 250, 244))
    c.put((380, 80), "不动产权证书", 60, f=SERIF)
    rows = [
        ("权利人", owner), ("共有情况", "单独所有"), ("坐落", addr), ("不动产单元号", unit),
        ("权利类型", "国有建设用地使用权/房屋所有权"), ("权利性质", "出让/市场化商品房"), ("用途", "商业/办公"),
        ("面积", f"房屋建筑面积{area}平方米"),
        ("使用期限", f"{cn_date(start.isoformat())}起{cn_date(end.isoformat())}止"),
    ]  # fmt: skip
    y: float = 250
    for a, b in rows:
        c.d.line((90, y - 18, 1110, y - 18), fill=(120, 120, 120), width=2)
        c.put((110, y), a, 28)
        y = c.wrap((360, y), b, 28, 720, gap=1.4) + 26
    truth = {
        "owner": owner, "co_ownership": "单独所有", "address": addr, "unit_number": unit,
        "area": area, "term_start": start.isoformat(), "term_end": end.isoformat(),
    }  # fmt: skip
    return GenDoc("property_certificate", c.img, truth, c.reading_text(), parts=c.parts(), meta={"district_code": code})


def application_form(rng: random.Random, valid: bool = True) -> GenDoc:
    addr, _ = premises(rng)
    name = f"{rng.choice(TRADES)}{rng.choice(INDUSTRIES)}店"
    phone = f"1{rng.randrange(30, 99)}{rng.randrange(10000000, 99999999)}"
    c = Canvas(1240, 1754)
    c.put((300, 90), "个体工商户登记（备案）申请书", 48, f=SERIF)
    c.put((110, 220), "□设立登记  □变更登记  □注销登记", 28)
    rows = [("名称", name), ("经营场所", addr), ("联系电话", phone), ("经营者姓名", person(rng)["name"])]
    y = 320
    for a, b in rows:
        c.put((110, y), a, 28)
        c.put((360, y), b, 28)
        y += 80
    c.put((110, y + 60), "申请人签字：            申请日期：     年   月   日", 28)
    truth = {"name": name, "domicile": addr, "phone": phone}
    return GenDoc("application_form", c.img, truth, c.reading_text(), parts=c.parts())


def other_text(rng: random.Random, valid: bool = True) -> GenDoc:
    c = Canvas(1240, 900)
    c.put((380, 80), "会议通知", 52, f=SERIF)
    c.wrap(
        (110, 220),
        "各部门：定于下周三下午三点在三楼会议室召开季度工作总结会议，请各部门负责人准时参加，并提前准备汇报材料。",
        30,
        1000,
    )
    return GenDoc("other", c.img, {}, c.reading_text(), parts=c.parts())


def cat_photo(rng: random.Random, valid: bool = True) -> GenDoc:
    """A photo without any text: a 'cat' of blobs and fur-like noise."""
    import numpy as np

    nrng = np.random.default_rng(rng.randrange(1 << 30))
    h, w = 600, 800
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack(
        [120 + 60 * np.sin(xx / 70.0), 100 + 50 * np.cos(yy / 55.0), 90 + 40 * np.sin((xx + yy) / 90.0)], -1
    )
    img = Image.fromarray(np.clip(base + nrng.normal(0, 18, (h, w, 3)), 0, 255).astype("uint8"))
    d = ImageDraw.Draw(img)
    d.ellipse((250, 150, 550, 450), fill=(200, 150, 90))  # head
    d.polygon([(270, 210), (300, 80), (360, 170)], fill=(190, 140, 80))  # ears
    d.polygon([(440, 170), (500, 80), (530, 210)], fill=(190, 140, 80))
    d.ellipse((320, 250, 360, 290), fill=(40, 120, 40))
    d.ellipse((440, 250, 480, 290), fill=(40, 120, 40))
    return GenDoc("no_document", img.filter(ImageFilter.GaussianBlur(1.5)), {}, "")


GENERATORS: dict[str, Callable[[random.Random, bool], GenDoc]] = {
    "id_front": id_front,
    "id_back": id_back,
    "business_licence": business_licence,
    "lease_contract": lease_contract,
    "property_certificate": property_certificate,
    "application_form": application_form,
    "other": other_text,
    "no_document": cat_photo,
}


# ------------------------------------------------------------------ degradation

DEGRADATIONS = ("rotate_small", "rotate_90", "rotate_180", "blur", "jpeg_noise", "low_contrast")
# a photo of the document lying on a table: "perspective" (4-corner warp, background, shadow), "photo" (the same
# plus camera blur and JPEG)
PHOTO_DEGRADATIONS = ("perspective", "photo")
BACKGROUNDS = ((150, 108, 70), (96, 70, 50), (72, 72, 78), (58, 98, 72), (70, 88, 128), (165, 160, 150))


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL PERSPECTIVE data mapping output points ``dst`` to input points ``src``."""
    import numpy as np

    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float))]


def _table(w: int, h: int, rng: random.Random) -> Image.Image:
    """A table top: a base colour, wood-grain stripes and noise."""
    import numpy as np

    nrng = np.random.default_rng(rng.randrange(1 << 30))
    base = np.asarray(rng.choice(BACKGROUNDS), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, math.pi)
    wave = np.sin((xx * math.cos(angle) + yy * math.sin(angle)) / rng.uniform(6, 18) + rng.uniform(0, 6))
    grain = (wave * rng.uniform(4, 12))[..., None] + nrng.normal(0, 5, (h, w, 1))
    return Image.fromarray(np.clip(base + grain, 0, 255).astype("uint8"))


def photograph(
    img: Image.Image, rng: random.Random, *, camera: bool = False, strength: tuple[float, float] = (0.05, 0.20)
) -> tuple[Image.Image, list[list[float]]]:
    """``img`` lying on a table, photographed at an angle: its corners moved by 5-20 % of its size (one side
    foreshortened, each corner jittered), a textured background, sometimes a shadow gradient; ``camera`` adds
    a slight blur and JPEG. Returns the photo and the document's corners in it (TL, TR, BR, BL)."""
    import numpy as np

    w, h = img.size
    m = rng.uniform(*strength)
    margin = m / 3 + 0.03 + rng.uniform(0.0, 0.1)  # the whole document stays in the picture
    cw, ch = round(w * (1 + 2 * margin)), round(h * (1 + 2 * margin))
    ox, oy = w * margin, h * margin
    corners = [[ox, oy], [ox + w, oy], [ox + w, oy + h], [ox, oy + h]]
    side = rng.randrange(4)  # which side is farther from the camera: it is foreshortened
    for i in (side, (side + 1) % 4):
        nxt = corners[(i + 1) % 4] if i == side else corners[(i - 1) % 4]
        cx, cy = corners[i]
        corners[i] = [cx + (nxt[0] - cx) * m / 2, cy + (nxt[1] - cy) * m / 2]
    j = m / 3
    corners = [[x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h] for x, y in corners]
    coeffs = _perspective_coeffs([(0, 0), (w, 0), (w, h), (0, h)], [(x, y) for x, y in corners])
    warped = img.convert("RGB").transform((cw, ch), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", (w, h), 255).transform((cw, ch), Image.Transform.PERSPECTIVE, coeffs)
    photo = _table(cw, ch, rng)
    photo.paste(warped, (0, 0), mask)
    arr = np.asarray(photo).astype(np.float32)
    if rng.random() < 0.6:  # light falling off across the table
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        t = (xx / cw - 0.5) * math.cos(a) + (yy / ch - 0.5) * math.sin(a) + 0.5
        arr *= (1.0 - rng.uniform(0.15, 0.35) * np.clip(t, 0, 1))[..., None]
    photo = Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))
    if camera:
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
        buf = io.BytesIO()
        photo.save(buf, format="JPEG", quality=rng.randrange(55, 80))
        photo = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return photo, [[round(x, 1), round(y, 1)] for x, y in corners]


def degrade(doc: GenDoc, how: str, rng: random.Random) -> GenDoc:
    import numpy as np

    img = doc.image
    if how == "rotate_small":
        img = img.rotate(rng.choice((-1, 1)) * rng.uniform(2, 7), expand=True, fillcolor=(200, 200, 200))
    elif how == "rotate_90":
        img = img.rotate(rng.choice((90, 270)), expand=True)
    elif how == "rotate_180":
        img = img.rotate(180)
    elif how == "blur":
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.6)))
    elif how == "jpeg_noise":
        arr = np.asarray(img).astype(np.float32) + np.random.default_rng(rng.randrange(1 << 30)).normal(
            0, 14, (img.height, img.width, 3)
        )
        img = Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=rng.randrange(25, 40))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    elif how == "low_contrast":
        arr = np.asarray(img).astype(np.float32)
        img = Image.fromarray((120 + arr * 0.3).astype("uint8"))
    elif how in PHOTO_DEGRADATIONS:
        img, quad = photograph(img, rng, camera=how == "photo")
        meta = doc.meta | {"quad": json.dumps(quad)}
        return GenDoc(doc.kind, img, doc.truth, doc.text, how, doc.valid_checksum, meta, doc.parts)
    else:
        raise ValueError(how)
    return GenDoc(doc.kind, img, doc.truth, doc.text, how, doc.valid_checksum, doc.meta, doc.parts)


def document_set(
    n: int = 60, seed: int = 7, degraded_share: float = 0.5, degradations: tuple[str, ...] = DEGRADATIONS
) -> list[GenDoc]:
    """``n`` documents cycling over the kinds; about a third of ID cards and licences with a broken check digit;
    half degraded (``degradations`` in turn; the photo ones are in :func:`photo_set`)."""
    rng = random.Random(seed)
    kinds = list(GENERATORS)
    weights = {"id_front": 3, "id_back": 2, "business_licence": 3, "lease_contract": 3, "property_certificate": 2,
               "application_form": 1, "other": 1, "no_document": 1}  # fmt: skip
    cycle = [k for k in kinds for _ in range(weights[k])]
    out: list[GenDoc] = []
    for i in range(n):
        kind = cycle[i % len(cycle)]
        valid = not (kind in ("id_front", "business_licence") and i % 3 == 0)
        doc = GENERATORS[kind](rng, valid)
        if rng.random() < degraded_share:
            doc = degrade(doc, degradations[i % len(degradations)], rng)
        out.append(doc)
    return out


PHOTO_KINDS = ("id_front", "id_back", "business_licence", "lease_contract", "property_certificate", "application_form")


def photo_set(n: int = 24, seed: int = 17, strength: tuple[float, float] = (0.05, 0.20)) -> list[GenDoc]:
    """``n`` documents photographed on a table (every one "perspective" or "photo"), cycling over the kinds that
    carry key fields; a third of the ID cards and licences with a broken check digit. ``strength``: how far
    the corners move, as a share of the document's size."""
    rng = random.Random(seed)
    out: list[GenDoc] = []
    for i in range(n):
        kind = PHOTO_KINDS[i % len(PHOTO_KINDS)]
        valid = not (kind in ("id_front", "business_licence") and (i // len(PHOTO_KINDS)) % 3 == 2)
        doc = GENERATORS[kind](rng, valid)
        how = PHOTO_DEGRADATIONS[(i // len(PHOTO_KINDS)) % 2]
        if strength == (0.05, 0.20):
            out.append(degrade(doc, how, rng))
            continue
        img, quad = photograph(doc.image, rng, camera=how == "photo", strength=strength)
        meta = doc.meta | {"quad": json.dumps(quad)}
        out.append(GenDoc(doc.kind, img, doc.truth, doc.text, how, doc.valid_checksum, meta, doc.parts))
    return out
