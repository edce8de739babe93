"""Statements shaped as Open edX's event-routing-backends emits them (its xAPI test
fixtures: course completed, course grade calculated, problem check, video played), with
the learner's LMS identity and the course key as parameters."""

from __future__ import annotations

from typing import Any

LMS = "http://localhost:18000"
COURSE_KEY = "course-v1:edX+DemoX+Demo_Course"
USER = "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb"


def course_completed(openid: str, course_key: str = COURSE_KEY) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "openid": openid},
        "context": {"registration": USER, "extensions": {"eventVersion": 1.0}},
        "object": {
            "definition": {
                "name": {"en": "Demonstration Course"},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
            "id": f"{LMS}/courses/{course_key}/",
            "objectType": "Activity",
        },
        "timestamp": "2026-11-15T06:36:01.917775+00:00",
        "verb": {"display": {"en": "completed"}, "id": "http://adlnet.gov/expapi/verbs/completed"},
        "version": "1.0.3",
    }


def grade_calculated(sid: str, user: str, course_key: str, scaled: float) -> dict[str, Any]:
    return {
        "id": sid,
        "result": {
            "score": {"scaled": scaled, "raw": scaled, "min": 0.0, "max": 1.0},
            "extensions": {"http://www.tincanapi.co.uk/activitytypes/grade_classification": "Pass"},
        },
        "version": "1.0.3",
        "actor": {"objectType": "Agent", "account": {"name": user, "homePage": LMS}},
        "verb": {"id": "http://id.tincanapi.com/verb/earned", "display": {"en": "earned"}},
        "object": {
            "id": f"{LMS}/course/{course_key}",
            "objectType": "Activity",
            "definition": {
                "name": {"en": "Demonstration Course"},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        "timestamp": "2026-11-15T20:37:45.526615+00:00",
        "context": {
            "contextActivities": {
                "parent": [
                    {
                        "id": f"{LMS}/course/{course_key}",
                        "objectType": "Activity",
                        "definition": {
                            "name": {"en-US": "Demonstration Course"},
                            "type": "http://adlnet.gov/expapi/activities/course",
                        },
                    }
                ]
            },
            "extensions": {
                "https://w3id.org/xapi/openedx/extension/transformer-version": (
                    "event-routing-backends@1.1.1"
                ),
                "https://w3id.org/xapi/openedx/extensions/session-id": (
                    "056aca2a1c6b76742b283e73d3424453"
                ),
            },
        },
    }


def problem_check(sid: str, user: str, course_key: str = COURSE_KEY) -> dict[str, Any]:
    block = f"block-v1:{course_key.removeprefix('course-v1:')}+type@problem+block@3fc5461f"
    return {
        "id": sid,
        "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": user}},
        "context": {
            "contextActivities": {
                "parent": [
                    {
                        "id": f"{LMS}/course/{course_key}",
                        "objectType": "Activity",
                        "definition": {
                            "name": {"en-US": "Demonstration Course"},
                            "type": "http://adlnet.gov/expapi/activities/course",
                        },
                    }
                ]
            },
            "extensions": {
                "https://github.com/openedx/event-routing-backends/blob/master/docs/"
                "xapi-extensions/eventVersion.rst": "1.0"
            },
        },
        "object": {
            "definition": {
                "extensions": {"http://id.tincanapi.com/extension/attempt-id": 10},
                "description": {"en-US": "Add the question text, or prompt, here."},
                "interactionType": "choice",
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            },
            "id": f"{LMS}/xblock/{block}",
            "objectType": "Activity",
        },
        "result": {
            "response": "['a correct answer', 'an incorrect answer']",
            "score": {"max": 1, "min": 0, "raw": 0, "scaled": 0},
            "success": False,
        },
        "timestamp": "2026-11-14T14:39:26.906232+00:00",
        "verb": {
            "display": {"en": "evaluated"},
            "id": "https://w3id.org/xapi/acrossx/verbs/evaluated",
        },
        "version": "1.0.3",
    }


def video_played(sid: str, openid: str, course_key: str = COURSE_KEY) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"objectType": "Agent", "openid": openid},
        "context": {
            "contextActivities": {
                "category": [
                    {
                        "id": "https://w3id.org/xapi/video/activity-type/video",
                        "objectType": "Activity",
                    }
                ],
                "parent": [{"id": f"{LMS}/courses/{course_key}/", "objectType": "Activity"}],
            },
            "registration": USER,
        },
        "object": {
            "definition": {
                "extensions": {"code": "b7xgknqkQk8"},
                "name": {"en": "Video Display Name"},
                "type": "https://w3id.org/xapi/video/activity-type/video",
            },
            "id": f"block-v1:{course_key}+type@video+block@0b9e39477cf34507",
            "objectType": "Activity",
        },
        "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": "PT0.032788S"}},
        "timestamp": "2026-11-15T06:52:55.057099+00:00",
        "verb": {"display": {"en": "played"}, "id": "https://w3id.org/xapi/video/verbs/played"},
        "version": "1.0.3",
    }
