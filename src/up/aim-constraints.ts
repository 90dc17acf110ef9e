/**
 * The Aim `up` installs, and the dependency set it installs it with.
 *
 * Aim pins its own dependencies loosely, so a fresh `pip install aim` can pick up a release of a
 * dependency that breaks it. These pins (pip constraints) are a set verified with `aim server`,
 * `aim up` and Aim's SDK on Python 3.11 by the whole test suite. Regenerate them with `pip freeze`
 * from a venv that passes `npm test`. The tests' Aim is installed from the same list, so `up`
 * runs exactly the Aim the tests ran.
 */

/** The Aim release `up` runs and the tests run against. */
export const AIM_VERSION = '3.29.1';

/** `pip install` constraints: one `name==version` a line. */
export const AIM_CONSTRAINTS: readonly string[] = [
  'aim==3.29.1',
  'aim-ui==3.29.1',
  'aimrecords==0.0.7',
  'aimrocks==0.5.2',
  'aiofiles==25.1.0',
  'alembic==1.20.1',
  'annotated-doc==0.0.7',
  'annotated-types==0.8.0',
  'anyio==4.16.0',
  'base58==2.0.1',
  'boto3==1.44.8',
  'botocore==1.44.8',
  'cachetools==8.0.2',
  'certifi==2026.10.19.post1',
  'cffi==2.1.1',
  'charset-normalizer==3.5.3',
  'click==8.5.1',
  'cryptography==50.0.2',
  'fastapi==0.165.0',
  'filelock==3.32.7',
  'h11==0.16.0',
  'idna==3.20',
  'Jinja2==3.1.6',
  'jmespath==1.1.0',
  'Mako==1.4.3',
  'MarkupSafe==3.0.4',
  'numpy==2.4.6',
  'opentelemetry-api==1.45.2',
  'packaging==26.4',
  'pillow==13.0.0',
  'psutil==7.2.2',
  'pycparser==3.12',
  'pydantic==2.14.4',
  'pydantic_core==2.50.5',
  'python-dateutil==2.9.0.post0',
  'pytz==2026.6',
  'requests==2.34.2',
  'RestrictedPython==9.0',
  's3transfer==0.19.3',
  'six==1.17.0',
  'SQLAlchemy==2.1.9',
  'starlette==1.10.0',
  'tqdm==4.70.1',
  'typing-inspection==0.4.5',
  'typing_extensions==4.16.0',
  'urllib3==2.8.0',
  'uvicorn==0.54.0',
  'watchdog==7.1.0',
  'websockets==17.4',
];
