require "rails_helper"

RSpec.describe OrderConfirmationJob do
  it "sends the confirmation only once" do
    order = Order.create!(email: "c@example.com", number: "G7H8I9", status: :paid)
    expect { described_class.new.perform(order.id) }.to change { ActionMailer::Base.deliveries.size }.by(1)
    expect { described_class.new.perform(order.id) }.not_to(change { ActionMailer::Base.deliveries.size })
  end

  it "ignores a deleted order" do
    expect { described_class.new.perform(-1) }.not_to raise_error
  end
end
