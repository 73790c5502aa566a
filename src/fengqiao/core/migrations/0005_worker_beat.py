from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_job_lease'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkerBeat',
            fields=[
                ('holder', models.CharField(max_length=100, primary_key=True, serialize=False)),
                ('seen_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'worker heartbeat',
            },
        ),
    ]
