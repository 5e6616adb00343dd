"""The live class's pages as the server serves them: the class home lists every lesson to lead
in teacher mode without giving a predict-first lesson's answer away on the projector, the join
page takes a code from its address, and a path that cannot be a code is a 404 in the app's
error shape."""

import re

from app.lessons import LESSONS


def test_start_a_class_is_one_button_and_no_inline_script(client):
    response = client.get("/class/new")
    assert response.status_code == 200
    assert 'id="class-start"' in response.text and "Start a class" in response.text
    assert "<script>" not in response.text


def test_the_class_home_leads_every_lesson_in_teacher_mode(client):
    html = client.get("/class/abc234/teach").text  # a code is case-insensitive
    assert 'data-code="ABC234"' in html
    assert 'src="/api/classes/ABC234/qr.svg"' in html
    links = re.findall(r'class="class-lesson-link" href="([^"]+)"', html)
    assert len(links) == len(LESSONS)
    assert all(link.endswith("&amp;class=ABC234&amp;role=teacher") for link in links), links
    for lesson in LESSONS.values():
        if lesson.predict:  # its title tells the answer: the question stands in for it
            assert lesson.title not in html, lesson.id
            assert lesson.question in html.replace("&#39;", "'"), lesson.id
    assert "<script>" not in html


def test_the_join_page_fills_in_the_code_from_its_address(client):
    assert 'value="ABC234"' in client.get("/join?code=abc234").text
    assert 'value=""' in client.get("/join?code=%3Cscript%3E").text  # no code: nothing kept


def test_a_path_that_cannot_be_a_code_is_a_404_in_the_error_shape(client):
    response = client.get("/class/not-a-code!/teach")
    assert response.status_code == 404
    assert "no class page for code" in response.json()["error"]
