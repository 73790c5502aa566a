import pytest

from fengqiao.core.personal import (
    PersonalDataError,
    id_check_digit,
    mask_free_text,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)

# GB 11643-1999's own worked example, and numbers whose check digit we compute by hand below.
VALID_IDS = ["11010519491231002X", "440524188001010014", "331022199003071234"]


def test_check_digit_of_the_standards_example():
    # 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167 % 11 = 2 → "X"
    assert id_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("value", VALID_IDS[:2])
def test_valid_id_numbers(value):
    assert normalize_id_number(value) == value


def test_lower_case_x_and_spaces_are_normalised():
    assert normalize_id_number(" 110105 19491231002x ") == "11010519491231002X"


def test_full_width_digits_are_the_same_number_and_other_scripts_are_refused():
    """A Chinese input method in full-width mode types １１０１…: one number, one digest."""
    assert normalize_id_number("１１０１０５\u3000１９４９１２３１００２ｘ") == "11010519491231002X"
    assert normalize_phone("＋８６（１３９）１２３４５６７８") == "13912345678"
    assert normalize_phone("０５７６－８３３３３３３") == "0576-8333333"
    for other in ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "११०१०५१९४९१२३१००२X"):  # Arabic-Indic, Devanagari
        with pytest.raises(PersonalDataError):
            normalize_id_number(other)
    with pytest.raises(PersonalDataError):
        normalize_phone("١٣٩١٢٣٤٥٦٧٨")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_check_digit"),  # wrong check digit
        ("11010519491331002X", "id_birth_date"),  # month 13
        ("1101051949123100", "id_format"),  # too short
        ("11010519491231002Y", "id_format"),
        ("", "id_format"),
    ],
)
def test_invalid_id_numbers(value, code):
    with pytest.raises(PersonalDataError) as exc:
        normalize_id_number(value)
    assert exc.value.code == code
    assert exc.value.message_zh and exc.value.message_en


def test_generated_ids_round_trip():
    first17 = "33102219900307123"
    full = first17 + id_check_digit(first17)
    assert normalize_id_number(full) == full
    wrong = first17 + ("0" if full[-1] != "0" else "1")
    with pytest.raises(PersonalDataError):
        normalize_id_number(wrong)


@pytest.mark.parametrize("raw", ["13812341234", "+86 138 1234 1234", "0086-13812341234".replace("-", "")])
def test_mobile_numbers(raw):
    assert normalize_phone(raw) == "13812341234"


def test_landline_and_invalid_phones():
    assert normalize_phone("0576-83312345") == "0576-83312345"
    for bad in ["12812341234", "1381234123", "abc", "110"]:
        with pytest.raises(PersonalDataError):
            normalize_phone(bad)


def test_masks():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0576-83312345") == "0576-****2345"
    assert mask_name("张三丰") == "张**"
    assert mask_name("") == ""


def test_free_text_masking():
    text = "我叫李四,电话13812341234,身份证11010519491231002X,请尽快处理"
    masked = mask_free_text(text)
    assert "13812341234" not in masked and "138****1234" in masked
    assert "11010519491231002X" not in masked and "110105********002X" in masked
